# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An instance: its state directory, its supervisor (QEMU in the foreground, a guest reset is a power
cycle), boot or restore, wait-ssh with the boot stage read from the serial console, reboot, stop."""

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

from . import netns, snapshot
from .errors import LabError
from .image import LAB_LOGLVL_OPTIONS
from .qemu import VARIANTS, Qmp, qemu_argv
from .util import (ENTRY_SCRIPT, TPM_TOOLS, find_bin, kill_own, lab_key, log, need_tools, own_pid, port_free,
                   read_pid, run, state_root, wait_for_vm_slot, write_json)

LOCAL_SSH_ERRORS = re.compile(
    r"(Bad configuration option|command-line: line \d+|too long for Unix domain socket|"
    r"Identity file \S+ not accessible|Load key .*: (bad permissions|invalid format)|"
    r"UNPROTECTED PRIVATE KEY FILE|Bad port|garbage at end of line|Unsupported option).*")


def local_ssh_error(returncode, stderr):
    """The line of a local ssh error in stderr (None when ssh failed for a reason a wait can cure)."""
    if returncode != 255:
        return None
    m = LOCAL_SSH_ERRORS.search(stderr or "")
    return m.group(0).strip() if m else None


def start_swtpm(inst):
    if own_pid(inst.tpm_pidfile, inst.dir):
        return
    tpmdir = os.path.join(inst.dir, "tpm")
    os.makedirs(tpmdir, exist_ok=True)
    if os.path.exists(inst.tpm_sock):
        os.unlink(inst.tpm_sock)
    run(["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + tpmdir,
         "--ctrl", "type=unixio,path=" + inst.tpm_sock, "--pid", "file=" + inst.tpm_pidfile,
         "--log", "file=%s,level=1" % os.path.join(inst.dir, "swtpm.log"),
         "--flags", "not-need-init", "--daemon"], quiet=True)
    for _attempt in range(50):
        if os.path.exists(inst.tpm_sock):
            break
        time.sleep(0.1)


def supervise(sdir):
    """Run an instance's QEMU in the foreground; when the guest resets (a reboot, Xen's reboot after a
    panic) QEMU exits (-no-reboot) and this starts the same command again on the same disk, TPM state and
    NICs: a power cycle, as a server's BMC does it. Any other stop (power off, `down`) ends the supervisor."""
    inst = Instance(sdir, os.path.basename(sdir))
    argv = list(inst.state["qemu_argv"])
    incoming = inst.state.get("incoming")
    status = {"status": "starting", "qemu_starts": 0, "power_cycles": 0, "supervisor_pid": os.getpid()}
    qlog_path = os.path.join(inst.dir, "qemu.log")
    current = {}

    def stop_qemu(_signum, _frame):
        # `down` stops the supervisor first: take the QEMU it started along (also one that has not
        # written its PID file yet)
        proc = current.get("proc")
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop_qemu)
    while True:
        if inst.state.get("tpm"):
            start_swtpm(inst)
        if os.path.exists(inst.events_sock):
            os.unlink(inst.events_sock)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(inst.events_sock)
        srv.listen(1)
        srv.settimeout(0.2)
        run_argv = argv + (["-incoming", "exec:cat %s" % shlex.quote(os.path.join(incoming, "vmstate"))]
                           if incoming else [])
        with open(qlog_path, "a") as qlog:
            proc = subprocess.Popen(run_argv, stdin=subprocess.DEVNULL, stdout=qlog, stderr=qlog,
                                    close_fds=False)
        current["proc"] = proc
        status["qemu_starts"] += 1
        conn = None
        while conn is None and proc.poll() is None:
            try:
                conn, _addr = srv.accept()
            except socket.timeout:
                continue
        srv.close()
        reason = None
        if conn is not None:
            conn.settimeout(None)
            try:
                qmp = Qmp(sock=conn)
                status.update({"status": "running", "qemu_pid": proc.pid, "since": time.time()})
                write_json(inst.supervisor_status, status)
                while True:
                    msg = qmp.read()
                    if msg is None:
                        break
                    if msg.get("event") == "SHUTDOWN":
                        reason = msg.get("data", {}).get("reason")
            except (OSError, ValueError, LabError):
                pass
        rc = proc.wait()
        if reason == "guest-reset":
            status["power_cycles"] += 1
            status["status"] = "power cycle"
            status["last_power_cycle"] = time.time()
            write_json(inst.supervisor_status, status)
            print("[supervisor] guest reset: power cycle %d, starting QEMU again" % status["power_cycles"],
                  flush=True)
            incoming = None      # a power cycle boots from the disk
            continue
        status.update({"status": "stopped", "qemu_rc": rc, "reason": reason})
        write_json(inst.supervisor_status, status)
        print("[supervisor] QEMU ended (rc=%s, reason %s)" % (rc, reason), flush=True)
        return rc or 0


# Console markers in boot order: the last one seen names the stage.
BOOT_STAGE_MARKERS = (("GRUB", "GRUB"), ("Booting", "GRUB"), ("(XEN)", "Xen"),
                      ("Linux version", "dom0 kernel"), ("[    ", "dom0 kernel"),
                      ("systemd", "dom0 userspace"), ("Welcome to", "dom0 userspace"),
                      ("login:", "login prompt"))


def boot_stage(console):
    """(stage, last line) of the boot a serial console's text shows: firmware, GRUB, Xen, dom0 kernel, dom0
    userspace or login prompt. Only the current boot counts (from the last GRUB banner on)."""
    if "GNU GRUB" in console:
        console = console[console.rfind("GNU GRUB"):]
    lines = [ln.strip() for ln in console.replace("\r", "\n").split("\n") if ln.strip()]
    stage = "firmware"
    for marker, name in BOOT_STAGE_MARKERS:
        if marker in console:
            stage = name
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", lines[-1])[:100] if lines else ""
    return stage, last


class Instance:
    def __init__(self, sdir, name):
        self.dir = os.path.abspath(sdir)
        self.name = name
        self.state_file = os.path.join(self.dir, "state.json")
        self.pidfile = os.path.join(self.dir, "qemu.pid")
        self.tpm_pidfile = os.path.join(self.dir, "swtpm.pid")
        self.tpm_sock = os.path.join(self.dir, "swtpm.sock")
        self.qmp_sock = os.path.join(self.dir, "qmp.sock")          # QMP server: migrate, cont, ...
        self.events_sock = os.path.join(self.dir, "events.sock")    # the supervisor's QMP listener
        self.supervisor_pidfile = os.path.join(self.dir, "supervisor.pid")
        self.supervisor_status = os.path.join(self.dir, "supervisor.json")
        self.console = os.path.join(self.dir, "console.log")
        self.state = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    # -- state
    def save(self):
        os.makedirs(self.dir, exist_ok=True)
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state, f, indent=2, sort_keys=True)
        os.rename(tmp, self.state_file)

    @property
    def qemu_pid(self):
        return own_pid(self.pidfile, self.pidfile)

    @property
    def port(self):
        return self.state["ssh_port"]

    def ssh_argv(self, extra=None):
        # No connection sharing: a master socket under the state directory can exceed the 107 bytes a
        # unix socket path may have (ssh then refuses every connection), and one inherited from the
        # user's ssh config could outlive a reboot of the lab host.
        return ["ssh", "-i", self.state["ssh_key"], "-p", str(self.port), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
                "-o", "ControlMaster=no", "-o", "ControlPath=none",
                "-o", "ServerAliveInterval=10", "-o", "ServerAliveCountMax=3"] + (extra or []) + \
            ["root@127.0.0.1"]

    def ssh(self, cmd, check=True, capture=False, timeout=300):
        res = subprocess.run(self.ssh_argv() + ["--"] + cmd, text=True, timeout=timeout,
                             stdout=subprocess.PIPE if capture else None,
                             stderr=subprocess.PIPE if capture else None, check=False)
        if check and res.returncode != 0:
            raise LabError("ssh command failed (rc=%d): %s\n%s" % (res.returncode, " ".join(cmd),
                                                                   (res.stderr or "")[-2000:]))
        return res

    # -- boot
    def boot(self, disk, fmt, dist, variant, port, tpm, guest_net, build=False, incoming=None,
             reset="power-cycle", accel="tcg", smp=None):
        """Start QEMU under this instance's supervisor (see supervise). incoming: a saved VM state
        (snapshot directory) to restore instead of booting. accel: tcg or kvm (accel.choose). smp: vCPUs
        (default XENLAB_SMP)."""
        os.makedirs(self.dir, exist_ok=True)
        if not port_free(port):
            raise LabError("port 127.0.0.1:%d is in use\n  fix: choose another with --ssh-port, "
                           "or leave it out to get a free one (who holds it: ss -ltnp 'sport = :%d')"
                           % (port, port))
        self.state.update({"name": self.name, "dist": dist, "variant": variant, "ssh_port": port,
                           "ssh_key": lab_key(), "console_log": self.console, "disk": disk,
                           "state_dir": self.dir, "qemu_pidfile": self.pidfile, "tpm": bool(tpm),
                           "guest_net": guest_net, "started": time.time(), "reset": reset,
                           "accel": accel})
        pass_fds = []
        tap_fd = None
        if guest_net.startswith("netns:"):
            # the supervisor keeps this fd open and hands the same tap to every QEMU it starts
            tap_fd = netns.open_guest_tap(self.name, guest_net, self.state)
            pass_fds.append(tap_fd)
        if tpm:
            need_tools(TPM_TOOLS)
        argv = qemu_argv(find_bin("qemu-system-x86_64"), self.name, variant, disk, fmt,
                         "writeback" if build else "unsafe", port, guest_net, tap_fd,
                         self.tpm_sock if tpm else None, self.console, self.qmp_sock, self.events_sock,
                         self.pidfile, reset, accel, smp)
        self.state["qemu_argv"] = argv
        self.state["reset"] = reset
        self.state["incoming"] = incoming
        self.save()
        self.state["slot_wait_seconds"] = wait_for_vm_slot()
        self.save()
        for f in (self.supervisor_status, os.path.join(self.dir, "qemu.log")):
            if os.path.exists(f):
                os.unlink(f)
        with open(os.path.join(self.dir, "supervisor.log"), "a") as slog:
            proc = subprocess.Popen([sys.executable, ENTRY_SCRIPT, "_supervise", self.dir],
                                    stdin=subprocess.DEVNULL, stdout=slog, stderr=slog, pass_fds=pass_fds,
                                    start_new_session=True)
        for fd in pass_fds:
            os.close(fd)
        with open(self.supervisor_pidfile, "w") as f:
            f.write("%d\n" % proc.pid)
        # wait until QEMU runs (its QMP greeting reached the supervisor) or the supervisor gave up
        deadline = time.monotonic() + 120
        while True:
            status = self.supervisor_state()
            if status.get("status") == "running":
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                err = ""
                if os.path.exists(os.path.join(self.dir, "qemu.log")):
                    with open(os.path.join(self.dir, "qemu.log")) as f:
                        err = f.read().strip()
                self.stop()
                if "hostfwd" in err or "host forwarding" in err:
                    raise LabError("QEMU could not forward 127.0.0.1:%d: %s\n  fix: choose another --ssh-port"
                                   % (port, err))
                raise LabError("QEMU did not start (supervisor rc=%s): %s\n  (see %s)"
                               % (proc.poll(), err or status, os.path.join(self.dir, "supervisor.log")))
            time.sleep(0.05)
        self.state["pid"] = read_pid(self.pidfile)
        self.save()
        log("QEMU started: PID %s, %s (%s), ssh 127.0.0.1:%d, console %s%s"
            % (self.state["pid"], variant, VARIANTS[variant][3], port, self.console,
               ", restoring %s" % incoming if incoming else ""))

    def supervisor_state(self):
        try:
            with open(self.supervisor_status) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    @property
    def supervisor_pid(self):
        return own_pid(self.supervisor_pidfile, self.dir)

    @property
    def alive(self):
        """QEMU runs, or its supervisor does (between the two QEMU processes of a power cycle)."""
        return self.qemu_pid or self.supervisor_pid

    def boot_stage(self):
        """(stage, last console line) of the current boot, from the tail of the serial console."""
        try:
            with open(self.console, "rb") as f:
                f.seek(0, 2)
                size = f.tell()
                f.seek(max(0, size - 65536))
                tail = f.read().decode(errors="replace")
        except OSError:
            return "no console output yet", ""
        return boot_stage(tail)

    def wait_ssh(self, timeout, start=None, reboot=False, old_boot_id=None):
        begin = time.monotonic()
        last_report = begin
        if start is None:
            start = begin
        while True:
            now = time.monotonic()
            if not self.alive:
                self.print_console_tail()
                raise LabError("QEMU of %s is no longer running (see the console above and %s)"
                               % (self.name, os.path.join(self.dir, "qemu.log")))
            res = subprocess.run(self.ssh_argv(["-o", "ConnectTimeout=5"]) +
                                 ["cat /proc/sys/kernel/random/boot_id && xl info"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60, check=False)
            boot_id = res.stdout.split("\n", 1)[0].strip()
            local = local_ssh_error(res.returncode, res.stderr)
            if local:
                raise LabError("%s: ssh itself fails here, waiting will not help: %s" % (self.name, local))
            if res.returncode == 0 and "xen_version" in res.stdout and boot_id != old_boot_id:
                self.state["boot_id"] = boot_id
                secs = round(time.monotonic() - begin, 1)
                self.state["last_boot_to_ssh_seconds"] = secs
                if self.state.get("boots") is not None:
                    self.state["boots"].append(secs)
                self.save()
                if self.state.get("loglvl_pending"):
                    self.state.pop("loglvl_pending")
                    self.to_default_loglvl(timeout)
                if self.state.get("restore_pending"):
                    self.after_restore()
                    self.state.pop("restore_pending")
                    how = " (restored)"
                elif self.state.get("snapshot_save") and not reboot:
                    snapshot.save(self, self.state.pop("snapshot_save"))
                    how = ""
                else:
                    how = " (reboot)" if reboot else ""
                if self.state.get("up_started_monotonic") and not reboot:
                    self.state["up_to_ssh_seconds"] = round(
                        time.monotonic() - self.state.pop("up_started_monotonic"), 1)
                    how += ", %.1f s after `up` began" % self.state["up_to_ssh_seconds"]
                self.save()
                log("%s: ssh and `xl info` answer after %.1f s%s" % (self.name, secs, how), start)
                return secs
            if now - begin > timeout:
                self.print_console_tail()
                raise LabError("%s: no ssh / `xl info` within %.0f s (XENLAB_BOOT_TIMEOUT raises it); "
                               "ssh said: %s" % (self.name, timeout, res.stderr.strip()[-300:]))
            if now - last_report >= 15:
                stage, line = self.boot_stage()
                log("%s: waiting for ssh, %.0f s, stage: %s | %s"
                    % (self.name, now - begin, stage, line), start)
                last_report = now
            time.sleep(0.5 if self.state.get("restore_pending") else 3)

    def to_default_loglvl(self, timeout):
        """Boot Xen with its default log levels: drop the lab's loglvl options from xen.cfg, update-grub,
        reboot (once; a snapshot of the host keeps it that way)."""
        sed = "; ".join("s/ *%s//" % opt for opt in LAB_LOGLVL_OPTIONS)
        self.ssh(["set -e; sed -i -E '/^GRUB_CMDLINE_XEN_DEFAULT=/{%s}' /etc/default/grub.d/xen.cfg; "
                  "update-grub 2>/dev/null" % sed], check=True, capture=True)
        log("%s: Xen's loglvl options removed from xen.cfg; rebooting into Xen's default log levels" % self.name)
        self.reboot(timeout)
        line = self.ssh(["xl info | grep ^xen_commandline"], check=True, capture=True).stdout
        if "loglvl" in line:
            raise LabError("%s: Xen still runs with a loglvl option: %s" % (self.name, line.strip()))
        log("%s: %s" % (self.name, " ".join(line.split())))

    def set_clock(self):
        """Set dom0's wall clock to this machine's (a restored or paused host's clock stood still while it
        was saved). Linux as Xen's dom0 passes a set clock on to Xen's wall clock (what new domains get).
        Random bytes from this machine are mixed into dom0's entropy pool as well: hosts restored from one
        snapshot would otherwise share the state of their random number generator."""
        # the time is sent only once the remote shell runs (after "ready"): ssh's own start-up under
        # emulation takes seconds and must not count
        script = ('echo ready; read t; read r; date -u -s "@$t" >/dev/null && d=$(date -u +%s.%N) && '
                  '{ hwclock --systohc --utc 2>/dev/null; echo "$r" > /dev/urandom; echo "$d"; }')
        proc = subprocess.Popen(self.ssh_argv() + ["--", script], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ready = proc.stdout.readline()
            sent = time.time()
            if ready.strip() == "ready":
                sent = time.time()
                proc.stdin.write("%.6f\n%s\n" % (sent, os.urandom(256).hex()))
                proc.stdin.flush()
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        if proc.returncode != 0:
            raise LabError("%s: could not set the clock: %s" % (self.name, err[-500:]))
        try:
            # dom0's clock read right after setting it, against the time sent: an upper bound of the skew
            skew = float(out.split()[-1]) - sent
        except (ValueError, IndexError):
            skew = None
        self.state["clock_skew_after_set"] = None if skew is None else round(skew, 3)
        return skew

    def after_restore(self):
        skew = self.set_clock()
        log("%s: restored host: clock set (dom0 %+.2f s from this machine), entropy mixed in"
            % (self.name, skew or 0.0))

    def reboot(self, timeout, start=None):
        """Reboot through ssh and wait until the new boot answers; returns seconds to ssh."""
        old = self.state.get("boot_id") or self.ssh(["cat /proc/sys/kernel/random/boot_id"],
                                                    capture=True).stdout.strip()
        begin = time.monotonic()
        self.ssh(["systemctl reboot"], check=False, capture=True, timeout=60)
        self.wait_ssh(timeout, start, reboot=True, old_boot_id=old)
        secs = round(time.monotonic() - begin, 1)
        self.state["last_reboot_to_ssh_seconds"] = secs
        self.save()
        return secs

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                return True
            time.sleep(1)
        return False

    def print_console_tail(self, n=40):
        print("----- last %d lines of the serial console %s -----" % (n, self.console))
        try:
            with open(self.console, "rb") as f:
                f.seek(0, 2)
                f.seek(max(0, f.tell() - 200000))
                text = f.read().decode(errors="replace").replace("\r", "")
            print("\n".join(text.splitlines()[-n:]))
        except OSError:
            print("(no console log)")
        print("----- end of console -----", flush=True)

    def stop(self):
        # the supervisor first: it would otherwise start QEMU again
        kill_own(self.supervisor_pidfile, self.dir, "supervisor of %s" % self.name, grace=15)
        stopped = kill_own(self.pidfile, self.pidfile, "QEMU of %s" % self.name)
        kill_own(self.tpm_pidfile, self.dir, "swtpm of %s" % self.name, grace=5)
        netns.remove_made(self.state)
        return stopped


def instance(args, name=None):
    name = name or args.name
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$", name or ""):
        raise LabError("invalid instance name %r (letters, digits, . _ -)" % name)
    return Instance(os.path.join(state_root(args), name), name)
