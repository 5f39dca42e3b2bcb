"""Deny the current process network access: the backstop behind the query guard.

pyoxigraph evaluates SERVICE with its own (Rust) HTTP client and has no option to turn
federation off, so patching Python's socket module would not help. Instead a seccomp-BPF filter,
installed for every thread of the process and inherited by every thread and child it starts,
makes the kernel refuse `socket()` for every address family but AF_UNIX (EACCES), and refuses
io_uring (whose requests could open sockets without that system call). With no IPv4/IPv6
socket there is no connection and no DNS lookup; pipes and Unix sockets (the worker's line to
the server) keep working. The filter cannot be removed: apply it only in a process that needs
no network for the rest of its life (a query worker, the CLI once the release is loaded).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
AF_UNIX = 1
#: machine -> (audit arch, seccomp(2), socket(2), io_uring_setup(2), syscall numbers to refuse
#: at or above: the x32 ABI's on x86_64, none on aarch64).
ARCHES = {
    "x86_64": (0xC000003E, 317, 41, 425, 0x40000000),
    "aarch64": (0xC00000B7, 277, 198, 425, 0xFFFFFFFF),
}
# BPF opcodes: load word at absolute offset; jump if equal / greater or equal; return.
_LD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_NR, _ARCH, _ARG0 = 0, 4, 16  # offsets in struct seccomp_data (arg0: its low word)


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def unsupported_reason() -> str | None:
    """Why this platform cannot have the sandbox, or None if it can."""
    if sys.platform != "linux":
        return f"the network sandbox needs Linux (seccomp), not {sys.platform}"
    if platform.machine() not in ARCHES:
        return f"the network sandbox does not know the {platform.machine()} architecture"
    return None


def _program(arch: int, socket_nr: int, io_uring_nr: int, first_foreign_nr: int) -> bytes:
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    code = [  # (opcode, jump if true, jump if false, operand); jumps count from the next one
        (_LD, 0, 0, _ARCH),
        (_JEQ, 1, 0, arch),
        (_RET, 0, 0, deny),  # another ABI (e.g. 32-bit calls): refuse everything
        (_LD, 0, 0, _NR),
        (_JGE, 5, 0, first_foreign_nr),  # x32 calls on x86_64
        (_JEQ, 4, 0, io_uring_nr),
        (_JEQ, 1, 0, socket_nr),
        (_RET, 0, 0, SECCOMP_RET_ALLOW),
        (_LD, 0, 0, _ARG0),  # socket(family, ...): only AF_UNIX
        (_JEQ, 1, 0, AF_UNIX),
        (_RET, 0, 0, deny),
        (_RET, 0, 0, SECCOMP_RET_ALLOW),
    ]
    return b"".join(struct.pack("=HBBI", *op) for op in code)


def deny_network() -> str | None:
    """Forbid this process, for good, to open any socket but a Unix one.

    Returns None once the filter is in force, else the reason it could not be applied.
    """
    reason = unsupported_reason()
    if reason:
        return reason
    arch, seccomp_nr, socket_nr, io_uring_nr, foreign = ARCHES[platform.machine()]
    program = _program(arch, socket_nr, io_uring_nr, foreign)
    buffer = ctypes.create_string_buffer(program, len(program))
    prog = _Filter(len(program) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
    result = libc.syscall(
        ctypes.c_long(seccomp_nr),
        ctypes.c_long(SECCOMP_SET_MODE_FILTER),
        ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC),
        ctypes.byref(prog),
    )
    if result != 0:  # -1 with errno, or the id of a thread that could not be synchronised
        cause = os.strerror(ctypes.get_errno()) if result < 0 else f"thread {result}"
        return f"installing the seccomp filter failed: {cause}"
    return None
