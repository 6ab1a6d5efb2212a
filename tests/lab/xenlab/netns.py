# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest NIC's tap inside a network namespace: made (with the namespace) when missing, opened from
inside the namespace and handed to QEMU, removed again by `down` when the lab made it."""

import ctypes
import fcntl
import os
import struct
import subprocess

from .errors import LabError
from .util import NETNS_TOOLS, need_tools, run

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def open_tap_in_netns(netns, tap):
    """Open tap device `tap` living in network namespace `netns`; returns the fd (QEMU gets it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/%s" % netns, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise LabError("setns into %s failed: %s" % (netns, os.strerror(ctypes.get_errno())))
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR)
            fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise LabError("setns back failed: %s" % os.strerror(ctypes.get_errno()))
    finally:
        os.close(own)
        os.close(target)
    os.set_inheritable(fd, True)
    return fd


def guest_tap_names(instance_name, guest_net):
    """(namespace, tap) of --guest-net netns:NS[:TAP]; the tap defaults to xl<instance>, cut to the 15
    characters an interface name may have."""
    parts = guest_net.split(":")
    tap = parts[2] if len(parts) > 2 and parts[2] else ("xl" + instance_name)[:15]
    return parts[1], tap


def open_guest_tap(instance_name, guest_net, state):
    """Make (when missing) the namespace and the tap of --guest-net netns:NS[:TAP], bring it up and open it;
    records in state what it made (`remove_made` removes exactly that). Returns the tap's fd."""
    netns, tap = guest_tap_names(instance_name, guest_net)
    need_tools(NETNS_TOOLS)
    if not os.path.exists("/run/netns/%s" % netns):
        # made here, removed by `down` of this instance; a namespace the test made stays its own
        run(["ip", "netns", "add", netns])
        state["created_netns"] = netns
        run(["ip", "-n", netns, "link", "set", "lo", "up"])
    exists = subprocess.run(["ip", "-n", netns, "link", "show", tap],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0
    if not exists:
        run(["ip", "-n", netns, "tuntap", "add", "dev", tap, "mode", "tap"])
        state["created_tap"] = [netns, tap]
    run(["ip", "-n", netns, "link", "set", tap, "up"])
    fd = open_tap_in_netns(netns, tap)
    state["guest_tap"] = [netns, tap]
    return fd


def remove_made(state):
    """Remove the tap and the namespace the lab made for this instance (never one a test made)."""
    created = state.get("created_tap")
    if created and os.path.exists("/run/netns/%s" % created[0]):
        subprocess.run(["ip", "-n", created[0], "link", "del", created[1]],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    made = state.get("created_netns")
    if made and os.path.exists("/run/netns/%s" % made):
        subprocess.run(["ip", "netns", "del", made],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
