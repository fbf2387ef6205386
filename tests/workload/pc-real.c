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
 * Prints "pc-real: KEY VALUE" lines; exits 0 once the packets were sent.
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
#include <linux/bpf.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>

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

static void die(const char *what)
{
	fprintf(stderr, "pc-real: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* r2 = -SHRINK; bpf_xdp_adjust_tail(ctx, r2); return XDP_DROP */
static int load_shrink_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2,
		  .imm = -SHRINK },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_xdp_adjust_tail },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[4096];
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.expected_attach_type = BPF_XDP;
	attr.prog_flags = BPF_F_XDP_HAS_FRAGS;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
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

static int open_tap(void)
{
	struct ifreq ifr;
	int fd, sock;

	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0)
		die("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, TAP_NAME, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");

	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0)
		die("socket");
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS");
	close(sock);
	return fd;
}

static int tap_ifindex(void)
{
	struct ifreq ifr;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	if (sock < 0)
		die("socket");
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, TAP_NAME, IFNAMSIZ - 1);
	if (ioctl(sock, SIOCGIFINDEX, &ifr) < 0)
		die("SIOCGIFINDEX");
	close(sock);
	return ifr.ifr_ifindex;
}

/* Attach in skb (generic) mode through a BPF link: gone when we exit. */
static int attach_generic_xdp(int prog, int ifindex)
{
	union bpf_attr attr;
	int link;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.target_ifindex = ifindex;
	attr.link_create.attach_type = BPF_XDP;
	attr.link_create.flags = XDP_FLAGS_SKB_MODE;
	link = sys_bpf(BPF_LINK_CREATE, &attr);
	if (link < 0)
		die("BPF_LINK_CREATE (generic XDP)");
	return link;
}

static int xdp_shrink(int packets)
{
	static unsigned char frame[PACKET_LEN];
	int tap, prog, link, i, sent = 0;

	tap = open_tap();
	prog = load_shrink_prog();
	link = attach_generic_xdp(prog, tap_ifindex());
	printf("pc-real: attached generic XDP with frags to %s\n", TAP_NAME);

	memset(frame, 0xff, 6);			/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x88;			/* local experimental ethertype */
	frame[13] = 0xb5;
	for (i = 14; i < PACKET_LEN; i++)
		frame[i] = (unsigned char)i;
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

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "xdp-shrink"))
		return xdp_shrink(argc >= 3 ? atoi(argv[2]) : 8);
	fprintf(stderr, "usage: pc-real xdp-shrink [PACKETS]\n");
	return 2;
}
