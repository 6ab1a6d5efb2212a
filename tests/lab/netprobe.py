# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's test host on the guest network: what answers there, seen from the wire.

Run inside the network namespace of the guest wire (``--guest-net netns:NS``), as root:

    ip netns exec NS python3 tests/lab/netprobe.py --iface TAP --ipv4 192.0.2.2 --arp 10.0.2.15 --tcp 22,68

and it prints one JSON object:
  arp      {address: MAC or null}  an ARP request for each address (--ipv4 and --arp), from the tap's own MAC
  icmp4    {address: bool}         an ICMP echo to each --ipv4 address (the tap needs an address in that net)
  tcp4     {"address:port": "open: <banner>" | "refused" | "timeout"}
  icmp6    [addresses]             who answers an ICMPv6 echo to ff02::1 (all nodes on the link), the tap's
                                   own address left out
  tcp6     {"[fe80::..]:port": ...} TCP to the link-local address of each MAC given with --mac6
No tool beyond Python's standard library is needed (no ping, arping or nc in the namespace).
"""

from __future__ import absolute_import, division, print_function

import argparse
import fcntl
import json
import os
import select
import socket
import struct
import time

ETH_P_ARP = 0x0806
SIOCGIFHWADDR = 0x8927


def _mac(iface):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        info = fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, struct.pack('256s', iface.encode()[:15]))
    finally:
        s.close()
    return info[18:24]


def _ipv4_of(iface):
    out = os.popen('ip -4 -o addr show dev %s' % iface).read().split()
    return out[3].split('/')[0] if len(out) > 3 else '0.0.0.0'


def arp(iface, target, timeout=2.0):
    """The MAC that answers an ARP request for ``target`` on ``iface``, or None."""
    mine = _mac(iface)
    sender = socket.inet_aton(_ipv4_of(iface))
    frame = (b'\xff' * 6 + mine + struct.pack('!H', ETH_P_ARP)
             + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + mine + sender + b'\x00' * 6 + socket.inet_aton(target))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    try:
        s.bind((iface, 0))
        s.send(frame)
        end = time.time() + timeout
        while time.time() < end:
            ready = select.select([s], [], [], max(0.0, end - time.time()))[0]
            if not ready:
                break
            data = s.recv(2048)
            if len(data) >= 42 and struct.unpack('!H', data[20:22])[0] == 2 and data[28:32] == socket.inet_aton(target):
                return ':'.join('%02x' % b for b in bytearray(data[22:28]))
    finally:
        s.close()
    return None


def _checksum(data):
    if len(data) % 2:
        data += b'\x00'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    total = (total >> 16) + (total & 0xffff)
    total += total >> 16
    return ~total & 0xffff


def icmp4(target, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        ident = os.getpid() & 0xffff
        body = b'xenguard-netprobe'
        header = struct.pack('!BBHHH', 8, 0, 0, ident, 1)
        packet = struct.pack('!BBHHH', 8, 0, _checksum(header + body), ident, 1) + body
        s.sendto(packet, (target, 0))
        end = time.time() + timeout
        while time.time() < end:
            ready = select.select([s], [], [], max(0.0, end - time.time()))[0]
            if not ready:
                break
            data, addr = s.recvfrom(2048)
            ihl = (bytearray(data)[0] & 0x0f) * 4
            if addr[0] == target and bytearray(data)[ihl] == 0 and struct.unpack('!H', data[ihl + 4:ihl + 6])[0] == ident:
                return True
    except OSError:
        return False
    finally:
        s.close()
    return False


def icmp6_all_nodes(iface, timeout=3.0):
    """The link-local addresses that answer an echo to ff02::1 on ``iface`` (the sender left out)."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    answered = set()
    try:
        index = socket.if_nametoindex(iface)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        ident = os.getpid() & 0xffff
        s.sendto(struct.pack('!BBHHH', 128, 0, 0, ident, 1) + b'xenguard-netprobe', ('ff02::1', 0, 0, index))
        end = time.time() + timeout
        while time.time() < end:
            ready = select.select([s], [], [], max(0.0, end - time.time()))[0]
            if not ready:
                break
            data, addr = s.recvfrom(2048)
            if bytearray(data)[0] == 129 and struct.unpack('!H', data[4:6])[0] == ident:
                answered.add(addr[0].split('%')[0])
    except OSError:
        pass
    finally:
        s.close()
    return sorted(answered)


def tcp(address, port, timeout=3.0, scope=None):
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    target = (address, port, 0, scope) if family == socket.AF_INET6 else (address, port)
    try:
        s.connect(target)
        try:
            banner = s.recv(64).decode('ascii', 'replace').strip()
        except socket.timeout:
            banner = ''
        return 'open: %s' % banner
    except ConnectionRefusedError:
        return 'refused'
    except (socket.timeout, OSError) as exc:
        return 'timeout' if isinstance(exc, socket.timeout) else 'error: %s' % exc.strerror
    finally:
        s.close()


def link_local(mac):
    """The EUI-64 link-local address the kernel gives an interface with ``mac``."""
    b = bytearray(int(x, 16) for x in mac.split(':'))
    b[0] ^= 2
    words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5]]
    return 'fe80::' + ':'.join('%x' % w for w in words)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--iface', required=True)
    parser.add_argument('--ipv4', action='append', default=[], help='dom0 (or guest) addresses on the wire')
    parser.add_argument('--arp', action='append', default=[], help='more addresses to ask ARP for')
    parser.add_argument('--tcp', default='22', help='comma-separated ports')
    parser.add_argument('--mac6', action='append', default=[], help='MACs whose link-local address to try over TCP')
    args = parser.parse_args()
    ports = [int(p) for p in args.tcp.split(',') if p]
    index = socket.if_nametoindex(args.iface)
    out = {'arp': dict((a, arp(args.iface, a)) for a in args.ipv4 + args.arp),
           'icmp4': dict((a, icmp4(a)) for a in args.ipv4),
           'tcp4': dict(('%s:%d' % (a, p), tcp(a, p)) for a in args.ipv4 for p in ports),
           'icmp6': [a for a in icmp6_all_nodes(args.iface) if a not in _own_ipv6(args.iface)],
           'tcp6': dict(('[%s]:%d' % (link_local(m), p), tcp(link_local(m), p, scope=index))
                        for m in args.mac6 for p in ports)}
    print(json.dumps(out, sort_keys=True))


def _own_ipv6(iface):
    return [w.split('/')[0] for w in os.popen('ip -6 -o addr show dev %s' % iface).read().split() if '/' in w]


if __name__ == '__main__':
    main()
