// SPDX-License-Identifier: GPL-2.0
/*
 * pc-real: drive the kernel's own code into real upstream bad-free bugs,
 * with syscalls only (no injector). One subcommand per bug:
 *
 *   pc-real xdp-shrink [PACKETS]
 *	A generic (skb mode) XDP program with frags on a tap device shrinks
 *	each packet's tail by one page. Generic XDP copies a non-linear skb
 *	into page_pool pages (skb_pp_cow_data(), since e6d5dbdd20aa), and
 *	bpf_xdp_adjust_tail() returns the dropped fragment with the rx
 *	queue's memory type, page_shared: page_frag_free() hands a page_pool
 *	page to the page allocator, signature and all.
 *
 *   pc-real veth-shrink [PACKETS]
 *	The same shrink in veth's native XDP: veth copies a non-linear skb
 *	into its page_pool (veth_convert_skb_to_xdp_buff()) but hands the
 *	program an rx queue of page_shared memory (upstream: "veth: update
 *	mem type in xdp_buff", Fixes 0ebab78cbcbf). An AF_PACKET socket
 *	sends the packets into the pair.
 *
 *   pc-real esp-forward [PACKETS]
 *	Generic XDP with frags passes each packet on: the skb the stack
 *	forwards has page_pool fragments (skb_pp_cow_data()). An IPsec ESP
 *	tunnel (xfrm netlink) takes the forwarded packet; ESP encrypts it
 *	out of place and drops the source fragments with put_page() where
 *	the fix (Debian's 6.7.9 changelog: "net: esp: fix bad handling of
 *	pages from page_pool") uses skb_page_unref(): needs esp4.ko rebuilt
 *	with the fix reverted (pctest_real.py).
 *
 * Prints "pc-real: ..." lines; exits 0 once the packets were sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/xfrm.h>

#define TAP_NAME	"pcreal0"
#define PAGE		4096
/*
 * Generic XDP keeps at most about 3.5 KiB in the head of the copy and puts
 * the rest in whole pages: two pages more than that leaves a last
 * fragment of more than half a page, which page_pool gives a page of its
 * own; shrinking by a page releases all of that fragment.
 */
#define PACKET_LEN	(3520 + 2 * PAGE)
#define SHRINK		PAGE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* r2 = -SHRINK; bpf_xdp_adjust_tail(ctx, r2); return XDP_DROP */
static const struct bpf_insn shrink_prog[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2,
	  .imm = -SHRINK },
	{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_xdp_adjust_tail },
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
	  .imm = XDP_DROP },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* A broadcast frame of a local experimental ethertype from 02:00:00:00:00:@src. */
static void fill_frame(unsigned char *frame, int len, unsigned char src)
{
	int i;

	memset(frame, 0xff, 6);
	memcpy(frame + 6, "\x02\x00\x00\x00\x00", 5);
	frame[11] = src;
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 14; i < len; i++)
		frame[i] = (unsigned char)i;
}

static void die(const char *what)
{
	fprintf(stderr, "pc-real: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* An XDP program with frags (BPF_F_XDP_HAS_FRAGS) */
static int load_xdp_prog(const struct bpf_insn *insns, unsigned int cnt)
{
	static char log[4096];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.expected_attach_type = BPF_XDP;
	attr.prog_flags = BPF_F_XDP_HAS_FRAGS;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = cnt;
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0) {
		fprintf(stderr, "pc-real: verifier log:\n%s\n", log);
		die("BPF_PROG_LOAD");
	}
	return fd;
}

/* ifr for @name, after @req on an inet socket */
static void if_ioctl(const char *name, unsigned long req, struct ifreq *ifr,
		     const char *what)
{
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	if (sock < 0)
		die("socket");
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(sock, req, ifr) < 0)
		die(what);
	close(sock);
}

static void set_up(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if_ioctl(name, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if_ioctl(name, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS");
}

/* A tun (IFF_TUN) or tap (IFF_TAP) device named @name, up. */
static int open_tun(const char *name, short kind)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0)
		die("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = kind | IFF_NO_PI;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	set_up(name);
	return fd;
}

static int open_tap(void)
{
	return open_tun(TAP_NAME, IFF_TAP);
}

static int if_index(const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if_ioctl(name, SIOCGIFINDEX, &ifr, "SIOCGIFINDEX");
	return ifr.ifr_ifindex;
}

static int tap_ifindex(void)
{
	return if_index(TAP_NAME);
}

/* Attach through a BPF link (gone when we exit), in @mode: XDP_FLAGS_*_MODE */
static int attach_xdp(int prog, int ifindex, unsigned int mode, const char *what)
{
	union bpf_attr attr;
	int link;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = BPF_XDP;
	attr.link_create.flags = mode;
	link = sys_bpf(BPF_LINK_CREATE, &attr);
	if (link < 0)
		die(what);
	return link;
}

static int attach_generic_xdp(int prog, int ifindex)
{
	return attach_xdp(prog, ifindex, XDP_FLAGS_SKB_MODE, "BPF_LINK_CREATE (generic XDP)");
}

static int xdp_shrink(int packets)
{
	static unsigned char frame[PACKET_LEN];
	int tap, prog, link, i, sent = 0;


	tap = open_tap();
	prog = load_xdp_prog(shrink_prog, ARRAY_SIZE(shrink_prog));
	link = attach_generic_xdp(prog, tap_ifindex());
	printf("pc-real: attached generic XDP with frags to %s\n", TAP_NAME);

	fill_frame(frame, PACKET_LEN, 1);
	for (i = 0; i < packets; i++) {
		if (write(tap, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
			die("write to the tap device");
		sent++;
	}
	printf("pc-real: packets %d of %d bytes, tail shrunk by %d\n", sent,
	       PACKET_LEN, SHRINK);
	close(link);
	close(prog);
	close(tap);
	return 0;
}

/* --- esp-forward ------------------------------------------------------- */

#define TUN_NAME	"pcreal1"
#define IN_ADDR		"10.61.0.1"	/* the tap's */
#define PEER_ADDR	"10.61.0.2"	/* the packets' source */
#define OUT_ADDR	"10.62.0.1"	/* the tun's, the tunnel's local end */
#define TUNNEL_PEER	"10.62.0.2"	/* the packets' destination */
/*
 * About 3.5 KiB stay in the copy's head; the rest, more than half a page
 * (a page of its own from page_pool) and less than a page with ESP's
 * trailer (else ESP copies the skb first), is the one fragment.
 */
#define ESP_PACKET_LEN	(3520 + 3000)

static void set_inet(const char *name, unsigned long req, const char *addr,
		     const char *what)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = inet_addr(addr);
	if_ioctl(name, req, &ifr, what);
}

static void set_mtu(const char *name, int mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = mtu;
	if_ioctl(name, SIOCSIFMTU, &ifr, "SIOCSIFMTU");
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

/* Append attribute @type with @len bytes of @data to the message at @nh. */
static void nl_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
		    unsigned int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send one request on a netlink @proto and wait for its acknowledgement. */
static void nl_request(int proto, struct nlmsghdr *nh, const char *what)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsgerr *err;
	struct nlmsghdr *ack;
	int fd = socket(AF_NETLINK, SOCK_RAW, proto);

	if (fd < 0)
		die("socket(AF_NETLINK)");
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		die(what);
	if (recv(fd, buf, sizeof(buf), 0) < (ssize_t)NLMSG_HDRLEN)
		die(what);
	ack = (struct nlmsghdr *)buf;
	err = NLMSG_DATA(ack);
	if (ack->nlmsg_type != NLMSG_ERROR || err->error) {
		errno = ack->nlmsg_type == NLMSG_ERROR ? -err->error : EPROTO;
		die(what);
	}
	close(fd);
}

static void xfrm_limits(struct xfrm_lifetime_cfg *lft)
{
	lft->soft_byte_limit = XFRM_INF;
	lft->hard_byte_limit = XFRM_INF;
	lft->soft_packet_limit = XFRM_INF;
	lft->hard_packet_limit = XFRM_INF;
}

/* ESP in tunnel mode from OUT_ADDR to TUNNEL_PEER: cbc(aes), hmac(sha256). */
static void add_esp_state(void)
{
	struct {
		struct nlmsghdr nh;
		struct xfrm_usersa_info sa;
		char attrs[512];
	} req;
	struct {
		struct xfrm_algo algo;
		char key[16];
	} crypt;
	struct {
		struct xfrm_algo_auth algo;
		char key[32];
	} auth;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = XFRM_MSG_NEWSA;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.sa));
	req.sa.sel.family = AF_INET;
	req.sa.id.daddr.a4 = inet_addr(TUNNEL_PEER);
	req.sa.id.spi = htonl(0x1000);
	req.sa.id.proto = IPPROTO_ESP;
	req.sa.saddr.a4 = inet_addr(OUT_ADDR);
	xfrm_limits(&req.sa.lft);
	req.sa.family = AF_INET;
	req.sa.mode = XFRM_MODE_TUNNEL;
	req.sa.reqid = 1;

	memset(&crypt, 0, sizeof(crypt));
	strcpy(crypt.algo.alg_name, "cbc(aes)");
	crypt.algo.alg_key_len = sizeof(crypt.key) * 8;
	memset(crypt.key, 0x11, sizeof(crypt.key));
	nl_attr(&req.nh, XFRMA_ALG_CRYPT, &crypt, sizeof(crypt));
	memset(&auth, 0, sizeof(auth));
	strcpy(auth.algo.alg_name, "hmac(sha256)");
	auth.algo.alg_key_len = sizeof(auth.key) * 8;
	auth.algo.alg_trunc_len = 128;
	memset(auth.key, 0x22, sizeof(auth.key));
	nl_attr(&req.nh, XFRMA_ALG_AUTH_TRUNC, &auth, sizeof(auth));
	nl_request(NETLINK_XFRM, &req.nh, "XFRM_MSG_NEWSA");
}

/* Traffic from the tap's subnet to the tun's goes through that state. */
static void add_esp_policy(void)
{
	struct {
		struct nlmsghdr nh;
		struct xfrm_userpolicy_info pol;
		char attrs[512];
	} req;
	struct xfrm_user_tmpl tmpl;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = XFRM_MSG_NEWPOLICY;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.pol));
	req.pol.sel.family = AF_INET;
	req.pol.sel.saddr.a4 = inet_addr("10.61.0.0");
	req.pol.sel.prefixlen_s = 24;
	req.pol.sel.daddr.a4 = inet_addr("10.62.0.0");
	req.pol.sel.prefixlen_d = 24;
	xfrm_limits(&req.pol.lft);
	req.pol.dir = XFRM_POLICY_OUT;
	req.pol.action = XFRM_POLICY_ALLOW;
	req.pol.share = XFRM_SHARE_ANY;

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.id.daddr.a4 = inet_addr(TUNNEL_PEER);
	tmpl.id.proto = IPPROTO_ESP;
	tmpl.family = AF_INET;
	tmpl.saddr.a4 = inet_addr(OUT_ADDR);
	tmpl.reqid = 1;
	tmpl.mode = XFRM_MODE_TUNNEL;
	tmpl.share = XFRM_SHARE_ANY;
	tmpl.aalgos = ~0U;
	tmpl.ealgos = ~0U;
	tmpl.calgos = ~0U;
	nl_attr(&req.nh, XFRMA_TMPL, &tmpl, sizeof(tmpl));
	nl_request(NETLINK_XFRM, &req.nh, "XFRM_MSG_NEWPOLICY");
}

static unsigned short ip_checksum(const void *data, int len)
{
	const unsigned char *p = data;
	unsigned long sum = 0;
	int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)~sum;
}

static int esp_forward(int packets)
{
	/* return XDP_PASS: generic XDP copies the skb into page_pool pages */
	static const struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static unsigned char frame[ESP_PACKET_LEN];
	unsigned char *ip = frame + 14, *udp = ip + 20;
	int tap, tun, prog, link, i, sent = 0;
	unsigned short ip_len = ESP_PACKET_LEN - 14, csum;
	struct ifreq ifr;

	tap = open_tap();
	tun = open_tun(TUN_NAME, IFF_TUN);
	set_inet(TAP_NAME, SIOCSIFADDR, IN_ADDR, "SIOCSIFADDR " TAP_NAME);
	set_inet(TAP_NAME, SIOCSIFNETMASK, "255.255.255.0", "SIOCSIFNETMASK " TAP_NAME);
	set_mtu(TAP_NAME, 9000);
	set_inet(TUN_NAME, SIOCSIFADDR, OUT_ADDR, "SIOCSIFADDR " TUN_NAME);
	set_inet(TUN_NAME, SIOCSIFNETMASK, "255.255.255.0", "SIOCSIFNETMASK " TUN_NAME);
	set_mtu(TUN_NAME, 9000);
	write_file("/proc/sys/net/ipv4/ip_forward", "1\n");
	add_esp_state();
	add_esp_policy();
	printf("pc-real: ESP tunnel %s -> %s for %s/24 -> 10.62.0.0/24\n",
	       OUT_ADDR, TUNNEL_PEER, "10.61.0.0");

	prog = load_xdp_prog(pass, ARRAY_SIZE(pass));
	link = attach_generic_xdp(prog, tap_ifindex());
	printf("pc-real: attached generic XDP with frags (XDP_PASS) to %s\n", TAP_NAME);

	memset(&ifr, 0, sizeof(ifr));
	if_ioctl(TAP_NAME, SIOCGIFHWADDR, &ifr, "SIOCGIFHWADDR");
	memcpy(frame, ifr.ifr_hwaddr.sa_data, 6);	/* to us: forwarded */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x02", 6);
	frame[12] = 0x08;				/* IPv4 */
	frame[13] = 0x00;
	ip[0] = 0x45;
	ip[2] = ip_len >> 8;
	ip[3] = ip_len & 0xff;
	ip[8] = 64;					/* TTL */
	ip[9] = IPPROTO_UDP;
	*(in_addr_t *)(ip + 12) = inet_addr(PEER_ADDR);
	*(in_addr_t *)(ip + 16) = inet_addr(TUNNEL_PEER);
	csum = ip_checksum(ip, 20);
	ip[10] = csum >> 8;
	ip[11] = csum & 0xff;
	udp[0] = 0x0f;					/* ports 4000 */
	udp[1] = 0xa0;
	udp[2] = 0x0f;
	udp[3] = 0xa0;
	udp[4] = (ip_len - 20) >> 8;
	udp[5] = (ip_len - 20) & 0xff;			/* no UDP checksum */
	for (i = 42; i < ESP_PACKET_LEN; i++)
		frame[i] = (unsigned char)i;
	for (i = 0; i < packets; i++) {
		if (write(tap, frame, sizeof(frame)) != (ssize_t)sizeof(frame))
			die("write to the tap device");
		sent++;
	}
	usleep(200 * 1000);		/* ESP may finish in a crypto worker */
	printf("pc-real: packets %d of %d bytes forwarded into the tunnel\n", sent,
	       ESP_PACKET_LEN);
	close(link);
	close(prog);
	close(tun);
	close(tap);
	return 0;
}

/* --- veth-shrink ----------------------------------------------------------- */

#define VETH_A	"pcveth0"
#define VETH_B	"pcveth1"

static struct nlattr *nl_nest(struct nlmsghdr *nh, unsigned short type)
{
	struct nlattr *a = (struct nlattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	nl_attr(nh, type, NULL, 0);
	return a;
}

static void nl_nest_end(struct nlmsghdr *nh, struct nlattr *a)
{
	a->nla_len = (char *)nh + nh->nlmsg_len - (char *)a;
}

/* ip link add VETH_A type veth peer name VETH_B */
static void add_veth_pair(void)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[512];
	} req;
	struct ifinfomsg peer_ifi;
	struct nlattr *info, *data, *peer;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi));
	req.ifi.ifi_family = AF_UNSPEC;
	nl_attr(&req.nh, IFLA_IFNAME, VETH_A, sizeof(VETH_A));
	info = nl_nest(&req.nh, IFLA_LINKINFO);
	nl_attr(&req.nh, IFLA_INFO_KIND, "veth", sizeof("veth"));
	data = nl_nest(&req.nh, IFLA_INFO_DATA);
	peer = nl_nest(&req.nh, VETH_INFO_PEER);
	memset(&peer_ifi, 0, sizeof(peer_ifi));
	/* the peer's ifinfomsg, then its attributes */
	memcpy((char *)&req.nh + NLMSG_ALIGN(req.nh.nlmsg_len), &peer_ifi, sizeof(peer_ifi));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + sizeof(peer_ifi);
	nl_attr(&req.nh, IFLA_IFNAME, VETH_B, sizeof(VETH_B));
	nl_nest_end(&req.nh, peer);
	nl_nest_end(&req.nh, data);
	nl_nest_end(&req.nh, info);
	nl_request(NETLINK_ROUTE, &req.nh, "RTM_NEWLINK veth");
}

/*
 * Until @ifname's operstate is "up", at most 5 s. Until linkwatch runs,
 * the device's qdisc is noop, which drops what is sent and says it went.
 */
static void wait_up(const char *ifname)
{
	char path[96], state[16] = "";
	int i;

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	for (i = 0; i < 50 && strcmp(state, "up"); i++) {
		FILE *f = fopen(path, "r");

		state[0] = '\0';
		if (f) {
			if (!fgets(state, sizeof(state), f))
				state[0] = '\0';
			state[strcspn(state, "\n")] = '\0';
			fclose(f);
		}
		if (strcmp(state, "up"))
			usleep(100 * 1000);
	}
	printf("pc-real: %s is %s\n", ifname, state[0] ? state : "(unknown)");
}

/*
 * Until @ifname has received @packets (its NAPI ran the program), at most
 * 5 s: a host under load runs the guest slowly, and a fixed sleep may end
 * before the program ran.
 */
static void wait_rx(const char *ifname, long packets)
{
	char path[96];
	long n = 0;
	int i;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets", ifname);
	for (i = 0; i < 50 && n < packets; i++) {
		FILE *f = fopen(path, "r");

		if (f) {
			if (fscanf(f, "%ld", &n) != 1)
				n = 0;
			fclose(f);
		}
		if (n < packets)
			usleep(100 * 1000);
	}
	printf("pc-real: %s received %ld packets\n", ifname, n);
}

static int veth_shrink(int packets)
{
	static unsigned char frame[PACKET_LEN];
	struct sockaddr_ll to;
	int prog, link, sock, i, sent = 0;

	add_veth_pair();
	set_mtu(VETH_A, 16000);
	set_mtu(VETH_B, 16000);
	set_up(VETH_A);
	set_up(VETH_B);
	prog = load_xdp_prog(shrink_prog, ARRAY_SIZE(shrink_prog));
	link = attach_xdp(prog, if_index(VETH_B), XDP_FLAGS_DRV_MODE,
			  "BPF_LINK_CREATE (native XDP on veth)");
	printf("pc-real: attached native XDP with frags to %s, peer of %s\n", VETH_B, VETH_A);
	wait_up(VETH_A);
	wait_up(VETH_B);

	sock = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (sock < 0)
		die("socket(AF_PACKET)");
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = if_index(VETH_A);
	to.sll_halen = 6;
	memset(to.sll_addr, 0xff, 6);
	fill_frame(frame, PACKET_LEN, 3);
	for (i = 0; i < packets; i++) {
		if (sendto(sock, frame, sizeof(frame), 0, (struct sockaddr *)&to,
			   sizeof(to)) != (ssize_t)sizeof(frame))
			die("sendto on the veth");
		sent++;
	}
	usleep(200 * 1000);		/* veth's NAPI runs the program */
	wait_rx(VETH_B, sent);
	printf("pc-real: packets %d of %d bytes into %s, tail shrunk by %d\n", sent,
	       PACKET_LEN, VETH_A, SHRINK);
	close(sock);
	close(link);
	close(prog);
	return 0;
}

int main(int argc, char **argv)
{
	int packets = argc >= 3 ? atoi(argv[2]) : 8;

	if (argc >= 2 && !strcmp(argv[1], "xdp-shrink"))
		return xdp_shrink(packets);
	if (argc >= 2 && !strcmp(argv[1], "esp-forward"))
		return esp_forward(packets);
	if (argc >= 2 && !strcmp(argv[1], "veth-shrink"))
		return veth_shrink(packets);
	fprintf(stderr, "usage: pc-real xdp-shrink|veth-shrink|esp-forward [PACKETS]\n");
	return 2;
}
