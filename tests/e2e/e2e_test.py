#!/usr/bin/env python3
"""End to end through the real osmo-stp: the gateway's whole stack (M3UA link, SCCP node,
TCAP, the JSON TC-user) on both sides, as ss7sim.

Side B serves the network of examples/ss7sim/network.json (+ tests/e2e/network-test.json);
side A runs every flow of examples/ss7sim/flows.json and tests/e2e/flows-test.json through
osmo-stp, routed on global titles: SMS MT/MO, ATI, UpdateLocation with a segmented
InsertSubscriberData, a USSD menu, an AC fallback, a CAP call, then invoke timeout, idle
timeout, peer abort, user reject, UDTS for an unknown SSN, no translation (remote and local).
A raw injector X (tests/net/m3ua_asp) sends hostile SCCP and TCAP to B and checks the
answers (UDTS, XUDTS, P-Abort, Abort). osmo-stp is killed and restarted: B's association
comes back and a flow succeeds again. A bounded load measures flows/s. Everything on the
wire is captured and decoded by tshark: no malformed frame outside X's deliberate garbage.
Prints 'N passed, M failed'; every wait is bounded.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..')
sys.path.insert(0, os.path.join(HERE, '..', 'net'))
sys.path.insert(0, os.path.join(HERE, '..', 'm3ua'))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import m3ua_stp_test as net  # noqa: E402  (Proc, check)
import capture  # noqa: E402  (live captures, TCP reassembly, SCTP wrapping for tshark)

STP_PORT, A_PORT, B_PORT, X_PORT = 32930, 32931, 32932, 32933
PC_A, PC_B, PC_X = 2073, 2074, 2079          # 1.3.1, 1.3.2, 1.3.7
check = net.check


# ---- SCCP and TCAP octets for the injector ---------------------------------------------

def addr_pc_ssn(pc, ssn):
    """Route on SSN: PC and SSN present."""
    return bytes([0x43, pc & 0xff, pc >> 8, ssn])


def addr_gt(digits, ssn):
    """Route on GT, GTI 4 (TT 0, E.164, BCD, international), with SSN."""
    bcd = digits + ('F' if len(digits) % 2 else '')
    packed = bytes(int(bcd[i + 1] + bcd[i], 16) for i in range(0, len(bcd), 2))
    return bytes([0x12, ssn, 0x00, 0x10 | (1 if len(digits) % 2 else 2), 0x04]) + packed


def udt(called, calling, data, ret=True):
    parts = [called, calling, data]
    ptrs, body, off = [], b'', 3
    for i, p in enumerate(parts):
        ptrs.append(off - i + len(body))
        body += bytes([len(p)]) + p
    return bytes([0x09, 0x80 if ret else 0x00]) + bytes(ptrs) + body


def xudt(called, calling, data, hops, ret=True):
    parts = [called, calling, data]
    ptrs, body = [], b''
    for i, p in enumerate(parts):
        ptrs.append(4 - i + len(body))
        body += bytes([len(p)]) + p
    return bytes([0x11, 0x80 if ret else 0x00, hops]) + bytes(ptrs) + b'\x00' + body


def sccp_data(msg):
    """(type, return cause or None, user data) of a received UDT/UDTS/XUDT/XUDTS."""
    t = msg[0]
    if t in (0x09, 0x0a):
        p = 4 + msg[4]
        return t, msg[1] if t == 0x0a else None, msg[p + 1:p + 1 + msg[p]]
    if t in (0x11, 0x12):
        p = 5 + msg[5]
        return t, msg[1] if t == 0x12 else None, msg[p + 1:p + 1 + msg[p]]
    return t, None, b''


# ---- processes ---------------------------------------------------------------------------

def start_stp(args, workdir, env):
    stp = net.Proc('osmo-stp', [args.osmo_stp, '-c', os.path.join(HERE, 'osmo-stp.cfg')],
                   workdir, env, stdin=False)
    check('osmo-stp listens on %d' % STP_PORT, net.wait_until(lambda: net.tcp_listening(STP_PORT), 5),
          stp.stderr()[-300:])
    return stp


def run_flow(args, env, workdir, scenario, flow, extra=(), timeout=30):
    """One ss7sim run of side A; returns (rc, summary dict or None, stderr tail)."""
    r = subprocess.run([args.ss7sim, '-c', os.path.join(HERE, 'side-a.cfg'), '-s', scenario,
                        '-f', flow, '-w', '15'] + list(extra),
                       cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    summary = None
    for line in r.stdout.splitlines():
        if line.startswith('{"flow"'):
            summary = json.loads(line)
    return r.returncode, summary, r.stderr[-400:]


def wait_event(proc, kind, state, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.wait_for('{', max(0.05, end - time.monotonic()))
        if not line:
            return False
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev.get('event') == kind and (state is None or ev.get('state') == state):
            return True
    return False


def raw(x, dpc, msg, sls=5):
    x.send('raw %d %d %s' % (dpc, sls, msg.hex()))


def raw_reply(x, timeout=6):
    """The next payload X receives: (opc, sccp message) or None."""
    line = x.wait_for('RX ', timeout)
    if not line:
        return None
    _, opc, _, hexs = line.split()
    return int(opc), bytes.fromhex(hexs)


# ---- the hostile part --------------------------------------------------------------------

def hostile(x):
    me = addr_pc_ssn(PC_X, 8)
    tcap_begin = bytes.fromhex('6212' '4804' '01020304' '6c0a' 'a108' '020101' '020138' '3000')

    raw(x, PC_B, udt(addr_pc_ssn(PC_B, 99), me, tcap_begin))
    r = raw_reply(x)
    check('hostile: UDT for SSN 99 (nobody) -> UDTS "unequipped user" back', r and
          sccp_data(r[1])[:2] == (0x0a, 4) and sccp_data(r[1])[2] == tcap_begin, r)

    raw(x, PC_B, udt(addr_gt('491799999999', 6), me, tcap_begin))
    r = raw_reply(x)
    check('hostile: UDT for an untranslatable GT -> UDTS "no translation for this address"',
          r and sccp_data(r[1])[:2] == (0x0a, 1), r)

    raw(x, PC_B, xudt(addr_gt('491700000001', 8), me, tcap_begin, hops=1))
    r = raw_reply(x)
    check('hostile: XUDT relayed with hop counter 1 -> XUDTS "hop counter violation"',
          r and sccp_data(r[1])[:2] == (0x12, 12), r)

    raw(x, PC_B, udt(addr_pc_ssn(PC_B, 99), me, tcap_begin, ret=False))
    check('hostile: the same without return option -> nothing back', raw_reply(x, 1.5) is None)

    # TCAP: a Continue for a transaction B never had (B's ids start with instance 2)
    cont = bytes.fromhex('650c' '4804' '11223344' '4904' '2ffffff0')
    raw(x, PC_B, udt(addr_pc_ssn(PC_B, 6), me, cont))
    r = raw_reply(x)
    check('hostile: Continue with an unknown DTID -> P-Abort unrecognizedTransactionID',
          r and sccp_data(r[1])[2] == bytes.fromhex('67094904112233444a0101'), r)

    # TCAP: a Begin cut short (its length says more than there is)
    trunc = bytes.fromhex('6214' '4804' '99aabbcc' '6c05a103020101')
    raw(x, PC_B, udt(addr_pc_ssn(PC_B, 6), me, trunc))
    r = raw_reply(x)
    data = sccp_data(r[1])[2] if r else b''
    check('hostile: truncated Begin -> P-Abort (badlyFormatted/incorrect transaction portion)',
          data[:1] == b'\x67' and bytes.fromhex('490499aabbcc') in data and data[-3:-1] == b'\x4a\x01'
          and data[-1] in (2, 3), r)

    # TCAP: a Begin whose only component is broken: B's TCAP tells its user (TC-L-REJECT)
    # and queues a Reject; ss7sim, which has no responder for it, ends the dialogue and the
    # Reject (general problem badlyStructuredComponent, with the invoke id 1 it could still
    # read) goes out with the End
    broken = bytes.fromhex('620e' '4804' '55667788' '6c06' 'a104020101' '05')
    raw(x, PC_B, udt(addr_pc_ssn(PC_B, 6), me, broken))
    r = raw_reply(x)
    data = sccp_data(r[1])[2] if r else b''
    check('hostile: Begin with a badly structured component -> End with a Reject '
          '(badlyStructuredComponent)', data[:1] == b'\x64' and bytes.fromhex('490455667788') in data
          and bytes.fromhex('a406020101800102') in data, r)

    # TCAP: a Begin with an operation nobody serves -> End with Reject unrecognizedOperation
    unknown_op = bytes.fromhex('6210' '4804' '0a0b0c0d' '6c08' 'a106020102020163')
    raw(x, PC_B, udt(addr_pc_ssn(PC_B, 6), me, unknown_op))
    r = raw_reply(x)
    data = sccp_data(r[1])[2] if r else b''
    check('hostile: Begin with an operation no responder serves -> End with Reject '
          'unrecognizedOperation', data[:1] == b'\x64' and bytes.fromhex('a406020102810101') in data, r)

    # SCCP garbage: nothing comes back, B goes on (the flows after this prove it)
    for junk in ('09800305ff0102', '01', '0980030507' + '43' * 3, '13800003000500', 'ffffffffffff'):
        raw(x, PC_B, bytes.fromhex(junk))
    check('hostile: five broken SCCP messages -> nothing back', raw_reply(x, 1.5) is None)


# ---- the capture -------------------------------------------------------------------------

def data_opc(m):
    """The OPC of an M3UA DATA message (its Protocol Data parameter), else None."""
    if m[2:4] != b'\x01\x01':
        return None
    off = 8
    while off + 4 <= len(m):
        tag, n = int.from_bytes(m[off:off + 2], 'big'), int.from_bytes(m[off + 2:off + 4], 'big')
        if tag == 0x0210 and n >= 8:
            return int.from_bytes(m[off + 4:off + 8], 'big')
        if n < 4:
            return None
        off += (n + 3) & ~3
    return None


def check_capture(cap, workdir):
    msgs, gaps = capture.m3ua_messages(cap.pcap)
    cap.check_whole(gaps)
    # X's deliberate garbage (OPC 1.3.7), also as osmo-stp relays it to B, is left out
    keep = [(s, d, m) for s, d, m in msgs if data_opc(m) != PC_X]
    wrapped = capture.sctp_pcap(keep, workdir)
    rc, rows, err = capture.tshark_fields(wrapped, ['m3ua.message_class', 'sccp.message_type',
                                                'camel.local', 'gsm_old.localValue',
                                                'sccp.return_cause', '_ws.malformed'],
                                      ['-o', 'sccp.defragment_xudt:TRUE'])
    data = [r for r in rows if r[0] == '1']
    # the user-reject flow sends sendAuthenticationInfo (56) with a mistyped argument on
    # purpose: tshark must call exactly those two frames (A->STP, STP->B) malformed
    mistyped = [r for r in rows if r[5] and r[3] == '56']
    malformed = [r for r in rows if r[5] and r[3] != '56'] + ([['mistyped', len(mistyped)]]
                                                             if len(mistyped) != 2 else [])
    types = {r[1] for r in data}
    check('capture: %d M3UA messages (%d after leaving out X\'s garbage), tshark finds no '
          'malformed frame' % (len(msgs), len(keep)), rc == 0 and keep and not malformed,
          'rc=%d malformed=%s %s' % (rc, malformed[:3], err[:200]))
    check('capture: UDT, XUDT (segmented InsertSubscriberData), UDTS and XUDTS on the wire',
          {'0x09', '0x11', '0x0a', '0x12'} <= types, sorted(types))
    map_ops = {o for r in data for o in r[3].split(',') if o}
    cap_ops = {o for r in data for o in r[2].split(',') if o}
    check('capture: tshark reads SRI-for-SM, MT-FSM, UL, ISD and USSD (MAP) and InitialDP, '
          'Connect, ERB (CAP)', {'45', '44', '2', '7', '59'} <= map_ops and {'0', '20', '24'} <= cap_ops,
          (sorted(map_ops), sorted(cap_ops)))


# ---- main --------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--shim', required=True)
    ap.add_argument('--ss7sim', required=True)
    ap.add_argument('--asp', required=True, help='tests/net/m3ua_asp')
    ap.add_argument('--osmo-stp', default='osmo-stp')
    ap.add_argument('--load', type=int, default=2000, help='SMS-MT flows in the load run')
    ap.add_argument('--no-capture', action='store_true')
    ap.add_argument('--keep', action='store_true')
    args = ap.parse_args()
    args.ss7sim, args.asp = os.path.abspath(args.ss7sim), os.path.abspath(args.asp)

    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError('300 s')))
    signal.alarm(290)
    workdir = tempfile.mkdtemp(prefix='e2e.')
    env = dict(os.environ, LD_PRELOAD=os.path.abspath(args.shim),
               ASAN_OPTIONS=os.environ.get('ASAN_OPTIONS', '') + ':verify_asan_link_order=0')
    procs, cap = [], None
    examples = os.path.join(ROOT, 'examples', 'ss7sim')
    network = os.path.join(workdir, 'network.json')
    with open(os.path.join(examples, 'network.json')) as f:
        net_all = json.load(f)
    with open(os.path.join(HERE, 'network-test.json')) as f:
        net_all['responders'] += json.load(f)['responders']
    with open(network, 'w') as f:
        json.dump(net_all, f)
    try:
        # a previous run's osmo-stp may still be on its way out: wait a little for the ports
        net.wait_until(lambda: not any(net.tcp_listening(p) for p in (STP_PORT, A_PORT, B_PORT, X_PORT)), 10)
        busy = [p for p in (STP_PORT, A_PORT, B_PORT, X_PORT) if net.tcp_listening(p)]
        if not check('test ports free', not busy, busy):
            return 1
        if not args.no_capture:
            cap = capture.LoCapture(net.Proc, workdir, 'tcp port %d' % STP_PORT, check,
                                    duration=280)
            if not cap.start():
                cap.close()
                cap = None

        stp = start_stp(args, workdir, env)
        procs.append(stp)
        b = net.Proc('B', [args.ss7sim, '-c', os.path.join(HERE, 'side-b.cfg'), '-s', network,
                           '-e', '-t', '280', '-w', '20'], workdir, env, stdin=False)
        procs.append(b)
        check('B: link up', wait_event(b, 'link', 'up', 20), b.stderr()[-300:])
        x = net.Proc('X', [args.asp, 'X', '1.3.7', '1.3.2', '39', str(X_PORT), str(STP_PORT)],
                     workdir, env)
        procs.append(x)
        x.send('rawmode')
        check('X: ASP active', x.wait_for('STATE ACTIVE', 15) is not None)

        for scen in (os.path.join(examples, 'flows.json'), os.path.join(HERE, 'flows-test.json')):
            with open(scen) as f:
                flows = [fl['name'] for fl in json.load(f)['flows']]
            for flow in flows:
                rc, summ, err = run_flow(args, env, workdir, scen, flow)
                check('flow %s (%s) through osmo-stp' % (flow, os.path.basename(scen)),
                      rc == 0 and summ and summ['ok'] == 1, (rc, summ, err))

        hostile(x)

        cpu0 = (stp.cpu_ns(), b.cpu_ns(), resource.getrusage(resource.RUSAGE_CHILDREN))
        rc, summ, err = run_flow(args, env, workdir, os.path.join(examples, 'flows.json'), 'sms-mt',
                                 ['-n', str(args.load), '-C', '50'], timeout=120)
        cpu1 = (stp.cpu_ns(), b.cpu_ns(), resource.getrusage(resource.RUSAGE_CHILDREN))
        check('load: %d SMS-MT flows (%d dialogues), 50 in flight, all succeed'
              % (args.load, 2 * args.load), rc == 0 and summ and summ['ok'] == args.load, (rc, summ, err))
        if summ and summ['ok']:
            # each flow is 2 dialogues of Begin + End: 4 messages relayed by osmo-stp, and 4
            # handled (2 in, 2 out) by each side's stack
            msgs = 4 * summ['ok']
            stp_us = (cpu1[0] - cpu0[0]) / 1e3 / msgs
            b_us = (cpu1[1] - cpu0[1]) / 1e3 / msgs
            a_us = ((cpu1[2].ru_utime + cpu1[2].ru_stime) - (cpu0[2].ru_utime + cpu0[2].ru_stime)) * 1e6 / msgs
            print('bench - %d SMS-MT flows in %.2f s: %.0f flows/s (%.0f dialogues/s); flow latency '
                  'p50 %.2f ms, p99 %.2f ms, max %.2f ms' % (summ['ok'], summ['seconds'], summ['flows_per_s'],
                                                              summ['dialogs_per_s'], summ['latency_ms']['p50'],
                                                              summ['latency_ms']['p99'], summ['latency_ms']['max']),
                  flush=True)
            print('bench - CPU per message: osmo-stp relay %.1f us; responder B (M3UA+SCCP+TCAP+JSON '
                  'TC-user+MAP codec+scenario engine) %.1f us = %.1fx the relay; originator A %.1f us'
                  % (stp_us, b_us, b_us / stp_us if stp_us else 0, a_us), flush=True)

        stp.stop(signal.SIGKILL)
        procs.remove(stp)
        check('osmo-stp killed: B sees its link down', wait_event(b, 'link', 'down', 10))
        stp = start_stp(args, workdir, env)
        procs.append(stp)
        check('osmo-stp restarted: B\'s association comes back', wait_event(b, 'link', 'up', 20))
        rc, summ, err = run_flow(args, env, workdir, os.path.join(examples, 'flows.json'), 'sms-mt')
        check('after the restart: sms-mt succeeds again', rc == 0 and summ and summ['ok'] == 1,
              (rc, summ, err))

        x.stop(signal.SIGTERM, 10)
        # B prints its counters as it exits: read them from its stdout, not after the fact
        b.p.send_signal(signal.SIGTERM)
        line = b.wait_for('{"event":"counters"', 15)
        counters = json.loads(line) if line else None
        b.stop(signal.SIGTERM, 10)
        sccp, tcap = (counters or {}).get('sccp', {}), (counters or {}).get('tcap', {})
        check('B counted the hostile input: decode errors, l_reject, P-Aborts sent, UDTS by cause',
              counters and sum(v for k, v in sccp.items() if k.startswith('decode:')) >= 4 and
              tcap.get('l_reject', 0) >= 1 and tcap.get('tx:pabort:unrecognized_tid', 0) >= 1 and
              sccp.get('return:unequipped-user', 0) >= 2 and sccp.get('hop-counter-violation', 0) >= 1,
              json.dumps({'sccp': {k: v for k, v in sccp.items() if v},
                          'tcap': {k: v for k, v in tcap.items() if v}})[:900])

        if cap:
            cap.stop()
            check_capture(cap, workdir)
    except TimeoutError as e:
        check('finished within 300 s', False, e)
    finally:
        signal.alarm(0)
        for p in procs:
            p.stop()
        if cap:
            cap.close()
        print('%d passed, %d failed' % (len(net.PASSED), len(net.FAILED)), flush=True)
        if net.FAILED or args.keep:
            print('logs kept in ' + workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if net.FAILED else 0


if __name__ == '__main__':
    sys.exit(main())
