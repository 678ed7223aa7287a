"""Packet captures for the network tests: dumpcap on loopback, proven live before a test's
traffic starts and proven whole after it, and the M3UA it holds, read back for tshark.

dumpcap prints "Capturing on 'Loopback: lo'" before its capture is reliably live; on a fresh
machine (nothing cached) the first packets after that line can be lost. So LoCapture sends
UDP marker datagrams to a socket of its own until one is in the capture file, and another
at the end; a capture that never shows its start marker is restarted once. What it finds is
said as a capture problem, in its own words, never as a protocol failure of the test.

M3UA over TCP (the SCTP-to-TCP shim) is reassembled per direction by TCP sequence number and
split by the M3UA length; tshark reads M3UA only inside SCTP, so sctp_pcap() wraps each
message in an SCTP DATA chunk (PPID 3) for it.
"""
import os
import re
import signal
import socket
import struct
import subprocess
import time

MARK_START, MARK_END = b'ss7gw-capture-start:', b'ss7gw-capture-end:'


class LoCapture:
    """dumpcap -i lo with a capture filter, plus a marker socket matched by the filter.

    Usage:
        cap = LoCapture(proc_cls, workdir, 'tcp port 2905', check)
        if cap.start():      # live: the start marker is in the file (one retry inside)
            ... traffic ...
        ok = cap.finish(gaps_fn)   # end marker seen, no drops, no gaps: checks printed
    """

    def __init__(self, proc_cls, workdir, bpf, check, name='dumpcap', duration=None,
                 live_timeout=10):
        self.proc_cls, self.workdir, self.check, self.name = proc_cls, workdir, check, name
        self.pcap = os.path.join(workdir, name + '.pcapng')
        self.duration, self.live_timeout = duration, live_timeout
        self.sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sink.bind(('127.0.0.1', 0))
        self.bpf = '(%s) or (udp dst port %d and dst host 127.0.0.1)' % (
            bpf, self.sink.getsockname()[1])
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.proc = None
        self.late = 0          # start attempts that never went live
        self.drops, self.end_seen = None, False

    def _seen(self, token):
        try:
            with open(self.pcap, 'rb') as f:
                return token in f.read()
        except FileNotFoundError:
            return False

    def _mark(self, prefix, timeout):
        """Send a marker every 50 ms until the capture file holds it."""
        token = prefix + os.urandom(8).hex().encode()
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.p.poll() is None:
            self.tx.sendto(token, self.sink.getsockname())
            if self._seen(token):
                return True
            time.sleep(0.05)
        return self._seen(token)

    def _launch(self):
        if os.path.exists(self.pcap):
            os.unlink(self.pcap)
        argv = ['dumpcap', '-i', 'lo', '-B', '64', '-f', self.bpf, '-w', self.pcap, '-q']
        if self.duration:
            argv += ['-a', 'duration:%d' % self.duration]
        self.proc = self.proc_cls(self.name, argv, self.workdir, stdin=False)

    def start(self):
        """Start dumpcap and wait until a marker is captured; retries once. False: no capture
        (said by a failed check); the test may go on without it."""
        for attempt in (1, 2):
            self._launch()
            if self._mark(MARK_START, self.live_timeout):
                if attempt > 1:
                    print('note - capture: dumpcap was not live after %d s; the second start '
                          'was' % self.live_timeout, flush=True)
                return self.check('capture live before any traffic (start marker captured)', True)
            self.late += 1
            self.proc.stop(signal.SIGINT, 5)
        self.check('capture live before any traffic', False,
                   'capture late: dumpcap never wrote a start marker in %d s, twice (%s)'
                   % (self.live_timeout, self.proc.stderr()[-300:]))
        self.proc = None
        return False

    def stop(self):
        """End marker, then stop dumpcap. True when the end marker reached the file."""
        if not self.proc:
            return False
        end_seen = self._mark(MARK_END, 10)
        self.proc.stop(signal.SIGINT, 10)
        m = re.search(r"Packets received/dropped on interface '[^']*': \d+/(\d+)",
                      self.proc.stderr())
        self.drops = int(m.group(1)) if m else None
        self.end_seen = end_seen
        return end_seen

    def check_whole(self, gaps):
        """The capture problems, apart from the protocol: the end marker missing, packets
        dumpcap says it dropped, TCP sequence gaps (directions cut short). One check."""
        problems = []
        if not self.end_seen:
            problems.append('the end marker never reached the file')
        if self.drops:
            problems.append('dumpcap dropped %d packets' % self.drops)
        if self.drops is None:
            problems.append('dumpcap printed no statistics')
        if gaps:
            problems.append('%d TCP directions have sequence gaps' % gaps)
        return self.check('capture whole: start and end markers captured, no drops, no gaps',
                          not problems, 'capture incomplete: ' + '; '.join(problems))

    def close(self):
        if self.proc:
            self.proc.stop()
        self.sink.close()
        self.tx.close()


# ---- reading a capture back -------------------------------------------------------------

def tshark_fields(pcap, fields, extra=()):
    r = subprocess.run(['tshark', '-r', pcap, '-T', 'fields', '-E', 'separator=;']
                       + [x for f in fields for x in ('-e', f)] + list(extra),
                       capture_output=True, text=True, timeout=60)
    return r.returncode, [l.split(';') for l in r.stdout.splitlines()], r.stderr


def tcp_streams(pcap, skip_ports=()):
    """The TCP payload of each direction of each connection, reassembled by seq.

    Returns {(stream, sport, dport): (bytes, complete)}; a direction is cut at its first
    sequence gap (octets the capture missed), and complete is False then. A retransmission
    that repeats part of a segment (same or overlapping seq, seen on loopback under load)
    neither replaces the longer copy nor counts as a gap. Connections on skip_ports are left
    out. The UDP markers have no TCP payload and are never part of it."""
    rc, rows, err = tshark_fields(pcap, ['tcp.stream', 'tcp.srcport', 'tcp.dstport',
                                         'tcp.seq', 'tcp.payload'], ['-Y', 'tcp.len > 0'])
    streams = {}
    for stream, sport, dport, seq, payload in rows:
        if int(sport) in skip_ports or int(dport) in skip_ports:
            continue
        segs = streams.setdefault((int(stream), int(sport), int(dport)), {})
        data = bytes.fromhex(payload.replace(':', ''))
        if len(data) > len(segs.get(int(seq), b'')):
            segs[int(seq)] = data
    out = {}
    for key, segs in streams.items():
        data, nxt, complete = b'', min(segs), True
        for seq in sorted(segs):
            if seq > nxt:
                complete = False
                break
            if seq + len(segs[seq]) > nxt:
                data += segs[seq][nxt - seq:]
                nxt = seq + len(segs[seq])
        out[key] = (data, complete)
    return out


def m3ua_messages(pcap, skip_ports=()):
    """(sport, dport, message) of every whole M3UA message captured, and the number of TCP
    directions cut short by a sequence gap."""
    msgs, gaps = [], 0
    for (stream, sport, dport), (data, complete) in sorted(tcp_streams(pcap, skip_ports).items()):
        gaps += not complete
        off = 0
        while off + 8 <= len(data):
            n = int.from_bytes(data[off + 4:off + 8], 'big')
            if n < 8 or off + n > len(data):
                break
            msgs.append((sport, dport, data[off:off + n]))
            off += n
    return msgs, gaps


def sctp_wrap(msg, tsn, sport, dport):
    """SCTP common header + one unfragmented DATA chunk with PPID 3, for text2pcap -i 132."""
    chunk = struct.pack('>BBHIHHI', 0, 3, 16 + len(msg), tsn, 0 if msg[2] != 1 else 1,
                        tsn & 0xffff, 3) + msg + bytes(-len(msg) % 4)
    return struct.pack('>HHII', sport, dport, 0, 0) + chunk


def sctp_pcap(msgs, workdir, name='m3ua-sctp'):
    """Write (sport, dport, m3ua) messages as SCTP/IPv4 packets; returns the pcapng path."""
    txt, pcap = os.path.join(workdir, name + '.txt'), os.path.join(workdir, name + '.pcapng')
    with open(txt, 'w') as f:
        for i, (sport, dport, m) in enumerate(msgs):
            f.write(sctp_wrap(m, i, sport, dport).hex() + '\n')
    subprocess.run(['text2pcap', '-q', '-i', '132', '-r', r'^(?<data>[0-9a-f]+)$', txt, pcap],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    return pcap
