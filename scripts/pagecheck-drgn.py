# SPDX-License-Identifier: GPL-2.0
"""pagecheck's reports from a crash dump or the running kernel, with drgn.

    drgn -c DUMP -s vmlinux -s pagecheck.ko scripts/pagecheck-drgn.py
    drgn -s pagecheck.ko scripts/pagecheck-drgn.py         # live, /proc/kcore

DUMP is a vmcore (kdump-tools' dump.<stamp>, or QEMU's dump-guest-memory);
vmlinux has the kernel's DWARF (Debian: linux-image-<kver>-dbg,
/usr/lib/debug/boot/vmlinux-<kver>); pagecheck.ko must keep its debug info
(DKMS installs it so). Prints one JSON line per report in the store, with
the keys of reports.json that the store holds: id count first_ns last_ns
pfn order compound last_pfn last_order reasons flags mapping mapcount
refcount memcg_data cpu pid comm context fingerprint stack (function
names only). It reads memory only: it takes no lock, so a dump taken while
a report was being added may show that one half written.
"""
import json

from drgn import FaultError, Object

CONTEXTS = ["task", "softirq", "hardirq", "nmi"]


def c_string(chars):
    """A char array's text, as pgc_json_string() escapes it."""
    raw = bytes(c & 0xff for c in chars.value_()).split(b"\0", 1)[0]
    return "".join(chr(c) if 0x20 <= c < 0x7f else f"\\u{c:04x}" for c in raw)


def reason_names(program):
    names = program.variable("pgc_reason_strings")
    return [names[i].string_().decode() for i in range(len(names))]


def frame_name(program, address):
    try:
        return program.symbol(address).name
    except LookupError:
        return hex(address)


def report(program, r, reasons):
    head = r.head
    mask = r.reasons.value_()
    context = r.context.value_()
    return {
        "id": r.id.value_(), "count": r.count.value_(),
        "first_ns": r.first_ns.value_(), "last_ns": r.last_ns.value_(),
        "pfn": r.pfn.value_(), "order": r.order.value_(),
        "compound": bool(r.compound.value_()),
        "last_pfn": r.last_pfn.value_(), "last_order": r.last_order.value_(),
        "reasons": [n for i, n in enumerate(reasons) if mask & (1 << i)],
        "flags": hex(head.flags.value_()), "mapping": hex(head.mapping.value_()),
        "mapcount": head.mapcount.value_(), "refcount": head.refcount.value_(),
        "memcg_data": hex(head.memcg_data.value_()),
        "cpu": r.cpu.value_(), "pid": r.pid.value_(), "comm": c_string(r.comm),
        "context": CONTEXTS[context] if context < len(CONTEXTS) else "?",
        "fingerprint": f"{r.fingerprint.value_():016x}",
        "stack": [frame_name(program, r.stack[i].value_())
                  for i in range(r.nr_entries.value_())],
    }


def reports(program):
    """Every report in the store, in slot order."""
    store = program.variable("pgc_store")
    used = min(store.used.value_(), store.capacity.value_())
    base, stride = store.slots.value_(), store.stride.value_()
    reasons = reason_names(program)
    for i in range(used):
        r = Object(program, "struct pgc_report", address=base + i * stride)
        try:
            yield report(program, r, reasons)
        except FaultError as e:
            yield {"slot": i, "error": str(e)}


def main(program):
    for r in reports(program):
        print(json.dumps(r, separators=(",", ":")))


if __name__ == "__main__":
    main(prog)  # noqa: F821 - drgn defines prog for the scripts it runs
