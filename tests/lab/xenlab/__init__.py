# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The xenguard.hardening lab (docs/lab.md), run through tests/lab/xenlab.py.

Modules by job:
  settings  the XENLAB_* environment settings (the boot timeout among them), read in one place
  util      logging, commands, tools, free resources, VM slots, cache and state directories, PID files
  errors    LabError, the error a person can act on
  image     the base image: apt source parsing, cache key and path, root filesystem, GRUB, disk, clean
  build     `build`: debootstrap, first boot with grub-install, publishing in the cache
  accel     KVM or software emulation (TCG): detection of a usable /dev/kvm with nested virtualisation
  qemu      QEMU's command line per variant and accelerator, its QMP client and version
  snapshot  booted-host snapshots: which hosts can be saved, their cache key, saving one
  netns     the guest NIC's tap inside a network namespace
  instance  an instance: state directory, supervisor, boot, wait-ssh, boot stage, reboot, stop
  cli       the command line: argparse and the commands
"""
