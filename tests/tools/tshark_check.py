#!/usr/bin/env python3
"""Check TCAP/MAP/CAP encodings with an independent decoder: Wireshark's tshark.

wrap() puts TCAP bytes into SCCP (UDT/XUDT/LUDT) inside an M3UA DATA message;
decode() feeds a batch of such messages through text2pcap + ONE tshark run
(-T pdml) and returns per packet a flat {field: [show values]} dict; check()
turns malformed/undecoded packets and unmet field expectations into errors.

Facts found by experiment with tshark 4.0.17 (Debian 12):
* Transport: M3UA only over SCTP (PPID 3).  `text2pcap -S` sets the SCTP
  B (first segment) bit only on the first packet of a file, so later packets
  stay unreassembled "Message Fragment"s; we therefore build the SCTP common
  header + DATA chunk ourselves and use `text2pcap -i 132` (IP + Ethernet).
* SCCP hands the payload to TCAP if the called SSN, else the calling SSN, is
  in the sccp.ssn table (MAP: 6-9,145,148-150 = gsm_map.tcap.ssn; CAP: 146 =
  camel.tcap.ssn).  Other SSNs give "data" unless you add e.g.
  `-d sccp.ssn==200,tcap` or `-o gsm_map.tcap.ssn:6-9,145,148-150,200`.
* TCAP picks the component sub-dissector (a) by the application-context OID of
  the dialogue portion (ber.oid table: every MAP AC 0.4.0.0.1.0.x.y -> gsm_map,
  CAP ACs 0.4.0.0.1.0.50.y, 0.4.0.0.1.21.3.y, 0.4.0.0.1.22.3.y ... -> camel
  v1..v4), whatever the SSN; (b) without a dialogue portion (TC-CONTINUE/END
  after the first response, or an AC unknown to Wireshark) by the SSN that
  matched in SCCP (called first): 146 -> camel, 6-9 -> gsm_map, else "data".
  So a CAP Continue must be sent with SSN 146 (use wrap(called_ssn=146)).
* TCAP transaction matching is always on in 4.0 (the tcap.srt preference is
  obsolete): a Continue/End whose dtid equals the otid of an earlier Begin
  sent in the reverse direction (End DPC == Begin OPC) inherits that Begin's
  AC and sub-dissector, and a second Begin with the same otid and OPC within
  tcap.repetitiontimeout is taken as a repetition of the first (a MAP Begin
  after a CAP Begin with the same otid and OPC was decoded as CAMEL).  So packets in one capture are not
  independent.  decode() therefore rewrites OPC/DPC to a fresh pair per
  packet (isolate=True, the default); pass isolate=False to test a dialogue
  on purpose (e.g. Begin 1->2 then Continue 2->1 makes the Continue v3).
* Without an AC (and without such a match) gsm_map uses version 0, i.e. MAP
  v1/v2 forms (opcode 44/46 = forwardSM v2 with gsm_old.* fields, 22 = SRI
  v2, 45 = SRI-SM v1 argument).  Force a version with
  `-o "gsm_map.application.context.version:Treat as AC 3"` (applies to the
  whole run and overrides ACs from the trace).  camel likewise uses version 0
  without an AC (the generic "camel" handle selected by SSN 146).
* BER problems appear as expert infos (`ber.error.*`, `_ws.expert`, group
  Malformed) plus a hidden `_ws.malformed`; exceptions add `_ws.malformed`
  "[Malformed Packet: GSM_MAP ...]".  Not flagged by tshark and therefore
  checked here: bytes after the TCAP message (silently ignored), bytes in the
  component portion that no gsm_map/camel layer covers (e.g. a trailing 00 00
  or a non-component TLV), payload that fell through to the "data" dissector.  We enable ber.warn_too_many_bytes so
  non-minimal INTEGER encodings are reported.  tshark does not check SIZE
  constraints (e.g. a 5-octet otid passes).
* LUDT: Wireshark 4.0 counts the 2-octet pointers from their second octet
  (pointer value = target offset - (pointer offset + 1)); wrap() does so.
* PDML was chosen over -T json: no duplicate-key problems, and it keeps
  protocol layers and expert infos as elements with name/show/size/pos.

Key field names (show values; bytes show as "00:00:00:01", match() also
accepts "00000001"):
  TCAP  tcap.otid tcap.dtid (tcap.tid = both), tcap.application_context_name,
        tcap.begin_element/continue_element/end_element/abort_element,
        tcap.components (= number of components), tcap.p_abortCause
  MAP   gsm_old.invokeID; gsm_old.localValue = operation code of an invoke or
        result AND the error code of a returnError (gsm_old.opCode /
        gsm_old.errorCode only show the CHOICE, 0 = local); gsm_old.reject_element,
        gsm_old.invokeProblem ...; e164.msisdn (digits of any E.164 AddressString;
        raw octets in gsm_map.sm.msisdn, ...), e212.imsi (digits; raw in
        gsm_map.imsi / gsm_map.sm.imsi), gsm_map.sm.sm_RP_UI (v3) or
        gsm_old.sm_RP_UI (v1/v2) + gsm_sms.* (e.g. gsm_sms.sms_text),
        gsm_map.ussd_string (decoded text; raw gsm_map.ss.ussd_String,
        gsm_map.ss.ussd_DataCodingScheme)
  CAP   camel.local = operation code (camel.opcode only shows the CHOICE),
        camel.present = invokeId, camel.error_code_local = error code,
        camel.serviceKey, camel.InitialDPArg_element ...

CLI:  tshark_check.py [--ssn 6,8] [--msg udt|xudt|ludt] [-o PREF] [-d AS] HEX [field=value ...]
      tshark_check.py --from-file F      (lines: "HEX [ssn=6,8] [msg=xudt] [field=value ...]")
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

# Always passed to tshark; makes results independent of the user's profile.
TSHARK_ARGS = ['-n', '-o', 'ber.warn_too_many_bytes:TRUE']

# Layers whose emptiness or expert infos we judge, and field-prefix -> layer.
APP_LAYERS = ('tcap', 'gsm_map', 'camel')
FIELD_LAYER = {'gsm_old': 'gsm_map', 'gsm_map': 'gsm_map', 'gsm_ss': 'gsm_map',
               'camel': 'camel', 'tcap': 'tcap', 'sccp': 'sccp', 'm3ua': 'm3ua'}
SKIP_PRINT = ('geninfo', 'frame', 'eth', 'ip', 'sctp', '_ws', 'ber')


def _bcd(digits):
    digits += 'f' * (len(digits) % 2)
    return bytes(int(digits[i + 1], 16) << 4 | int(digits[i], 16)
                 for i in range(0, len(digits), 2))


def sccp_address(ssn, gt=None, pc=0):
    """Q.713 address: route on GT with GTI 4 (TT 0, E.164, international)
    and SSN; or, when gt is None, route on SSN with a 14-bit point code."""
    if gt is None:
        return bytes([0x43]) + struct.pack('<H', pc & 0x3fff) + bytes([ssn])
    es = 1 if len(gt) % 2 else 2            # BCD odd / even
    return bytes([0x12, ssn, 0, 0x10 | es, 4]) + _bcd(gt)


def sccp(data, called, calling, msg='udt', pclass=0):
    """SCCP UDT / XUDT (hop counter 15) / LUDT message carrying data."""
    if msg == 'udt':
        head, psize, lsize, opt, limit = bytes([0x09, pclass]), 1, 1, False, 255
    elif msg == 'xudt':
        head, psize, lsize, opt, limit = bytes([0x11, pclass, 15]), 1, 1, True, 255
    elif msg == 'ludt':
        head, psize, lsize, opt, limit = bytes([0x13, pclass, 15]), 2, 2, True, 65535
    else:
        raise ValueError('msg must be udt, xudt or ludt')
    if len(data) > limit:
        raise ValueError('%d octets too long for %s' % (len(data), msg.upper()))
    nptr = 4 if opt else 3
    ptrs, body = b'', b''
    for i, (val, ls) in enumerate(((called, 1), (calling, 1), (data, lsize))):
        ppos = len(head) + i * psize
        target = len(head) + nptr * psize + len(body)
        ptrs += (target - ppos - (psize - 1)).to_bytes(psize, 'little')
        body += len(val).to_bytes(ls, 'little') + val
    if opt:
        ptrs += bytes(psize)                 # no optional part
    return head + ptrs + body


def m3ua_data(payload, opc=1, dpc=2, si=3, ni=2):
    """RFC 4666 DATA message with one Protocol Data parameter."""
    pd = struct.pack('>IIBBBB', opc, dpc, si, ni, 0, 0) + payload
    plen = 4 + len(pd)
    param = struct.pack('>HH', 0x0210, plen) + pd + bytes(-plen % 4)
    return struct.pack('>BBBBI', 1, 0, 1, 1, 8 + len(param)) + param


def wrap(tcap, *, called_ssn=6, calling_ssn=8, called_gt="491700000001",
         calling_gt="491700000002", opc=1, dpc=2, msg="udt", pclass=0):
    """TCAP bytes -> M3UA DATA(SCCP msg(TCAP)).  A gt of None gives a
    route-on-SSN address with the point code (dpc / opc) instead."""
    cd = sccp_address(called_ssn, called_gt, dpc)
    cg = sccp_address(calling_ssn, calling_gt, opc)
    return m3ua_data(sccp(tcap, cd, cg, msg, pclass), opc, dpc)


def _sctp(payload, tsn):
    """SCTP common header + one unfragmented DATA chunk, PPID 3 (M3UA)."""
    chunk = struct.pack('>BBHIHHI', 0, 3, 16 + len(payload), tsn, 0,
                        tsn & 0xffff, 3) + payload + bytes(-len(payload) % 4)
    return struct.pack('>HHII', 2905, 2905, 0, 0) + chunk


def _run_tshark(packets, extra_args):
    with tempfile.TemporaryDirectory(prefix='tshark_check.') as tmp:
        txt, pcap = os.path.join(tmp, 'in.txt'), os.path.join(tmp, 'in.pcapng')
        with open(txt, 'w') as f:
            for i, p in enumerate(packets):
                f.write(_sctp(p, i).hex() + '\n')
        subprocess.run(['text2pcap', '-q', '-i', '132', '-r',
                        r'^(?<data>[0-9a-f]+)$', txt, pcap], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        env = dict(os.environ, WIRESHARK_CONFIG_DIR=tmp)   # no user prefs
        r = subprocess.run(['tshark', '-r', pcap, '-T', 'pdml'] + TSHARK_ARGS
                           + list(extra_args), capture_output=True, env=env)
        if r.returncode != 0:
            raise RuntimeError('tshark failed: ' + r.stderr.decode(errors='replace'))
        return ET.fromstring(r.stdout)


def _problems(pkt, fields, layers):
    """Everything in one <packet> that indicates a bad encoding."""
    out = []
    for el in pkt.iter():
        name, text = el.get('name', ''), el.get('showname') or el.get('show') or ''
        if 'Dissector bug' in text:
            out.append(text)
        if name == '_ws.malformed' and el.get('hide') != 'yes':
            out.append(text)
        if name == '_ws.expert':
            sev = [c.get('showname', '') for c in el if c.get('name') == '_ws.expert.severity']
            if any(s.endswith(('Error', 'Warning')) for s in sev):
                out.append(text)
    if 'data' in layers:
        out.append('undissected data after %s: %s' % (
            layers[layers.index('data') - 1], ' '.join(fields.get('data.data', []))))
    for proto in pkt.findall('proto'):
        name = proto.get('name')
        if name in ('gsm_map', 'camel') and len(proto) == 0:
            out.append('%s layer with no decoded content (%s octets)'
                       % (name, proto.get('size')))
        if name == 'tcap' and len(proto):
            end = max(int(c.get('pos', 0)) + int(c.get('size', 0)) for c in proto)
            extra = int(proto.get('pos')) + int(proto.get('size')) - end
            if extra > 0:
                out.append('tcap: %d octets after the TCAP message' % extra)
            for comp in proto.iter('field'):
                if comp.get('name') != 'tcap.components':
                    continue
                ends = [int(p.get('pos')) + int(p.get('size')) for p in pkt.findall('proto')
                        if p.get('name') in ('gsm_map', 'camel', 'data')]
                extra = int(comp.get('pos')) + int(comp.get('size')) - max(ends, default=0)
                if ends and extra > 0:
                    out.append('tcap: %d octets at the end of the component portion '
                               'not decoded' % extra)
    return list(dict.fromkeys(out))


def _isolate(packets):
    """Give packet i its own OPC/DPC so TCAP cannot link packets."""
    out = []
    for i, p in enumerate(packets):
        if p[8:10] == b'\x02\x10':         # first parameter is Protocol Data
            opc = 16 + (2 * i) % 16000
            p = p[:12] + struct.pack('>II', opc, opc + 1) + p[20:]
        out.append(p)
    return out


def decode(packets, extra_args=(), isolate=True):
    """Decode M3UA messages (from wrap) in one tshark run.  Per packet a flat
    dict field -> [show values]; protocol layers appear as keys too, plus
    '_layers' (list of protocol names) and '_problems' (list of strings).
    isolate: rewrite OPC/DPC per packet (see module doc)."""
    if not packets:
        return []
    if isolate:
        packets = _isolate(packets)
    root = _run_tshark(packets, extra_args)
    result = []
    for pkt in root.findall('packet'):
        fields = {}
        for el in (e for proto in pkt if proto.get('name') != 'geninfo'
                   for e in proto.iter()):
            name = el.get('name')
            if el.tag in ('proto', 'field') and name:
                val = el.get('show', el.get('showname', '')) if el.tag == 'field' \
                    else el.get('showname', '')
                fields.setdefault(name, []).append(val)
        layers = (fields.get('frame.protocols') or [''])[0].split(':')
        fields['_layers'] = layers
        fields['_problems'] = _problems(pkt, fields, layers)
        result.append(fields)
    if len(result) != len(packets):
        raise RuntimeError('tshark returned %d packets for %d' % (len(result), len(packets)))
    return result


def _norm(v):
    v = str(v).strip().lower()
    return v.replace(':', '') if all(c in '0123456789abcdef:' for c in v) else v


def match(fields, expect):
    """Errors for one decoded packet against {field: value | [values] | None}.
    None or [] only requires the field/layer to be present."""
    errs = []
    layers = fields.get('_layers', [])
    need = {FIELD_LAYER.get(k.split('.')[0]) for k in expect} | \
        {k for k in expect if k in APP_LAYERS}
    for layer in sorted(n for n in need if n):
        if layer not in layers:
            errs.append('not decoded as %s (layers %s)' % (layer, ':'.join(layers[4:])))
    for key, want in expect.items():
        have = fields.get(key)
        if have is None:
            if key not in need:
                errs.append('%s absent' % key)
            continue
        wants = want if isinstance(want, list) else [] if want is None else [want]
        got = {_norm(h) for h in have}
        for w in wants:
            if _norm(w) not in got:
                errs.append('%s = %r, tshark shows %s' % (key, w, have))
    return errs


def check(packets, expect=None, extra_args=(), isolate=True):
    """Decode packets (M3UA messages) in one batch; error strings for problems
    and for expectations (one dict per packet, or None) that do not hold."""
    errs = []
    for i, f in enumerate(decode(packets, extra_args, isolate)):
        errs += ['packet %d: %s' % (i + 1, p) for p in f['_problems']]
        if expect and expect[i]:
            errs += ['packet %d: %s' % (i + 1, e) for e in match(f, expect[i])]
    return errs


def parse_line(words):
    """'HEX ssn=6,8 msg=xudt field=value ...' -> (m3ua bytes, expectations)."""
    tcap, opts, exp = bytes.fromhex(words[0]), {}, {}
    for w in words[1:]:
        k, _, v = w.partition('=')
        if k == 'ssn':
            opts['called_ssn'], opts['calling_ssn'] = (int(x) for x in v.split(','))
        elif k == 'msg':
            opts['msg'] = v
        else:
            exp.setdefault(k, []).append(v)
    return wrap(tcap, **opts), exp


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ssn', default='6,8', help='called,calling SSN')
    ap.add_argument('--msg', default='udt', choices=('udt', 'xudt', 'ludt'))
    ap.add_argument('-o', dest='prefs', action='append', default=[], help='tshark -o')
    ap.add_argument('-d', dest='decode_as', action='append', default=[], help='tshark -d')
    ap.add_argument('--all', action='store_true', help='print all layers')
    ap.add_argument('--from-file', metavar='F')
    ap.add_argument('args', nargs='*', help='HEX [field=value ...]')
    a = ap.parse_args(argv)
    extra = [x for p in a.prefs for x in ('-o', p)] + \
        [x for d in a.decode_as for x in ('-d', d)]
    if a.from_file:
        errs, items = [], []
        with open(a.from_file) as f:
            for n, line in enumerate(f, 1):
                if line.strip() and not line.lstrip().startswith('#'):
                    try:
                        items.append((n,) + parse_line(line.split()))
                    except (ValueError, TypeError) as e:
                        errs.append('line %d: %s' % (n, e))
        decoded = decode([p for _, p, _ in items], extra)
        for (n, _, exp), fields in zip(items, decoded):
            errs += ['line %d: %s' % (n, e) for e in fields['_problems'] + match(fields, exp)]
        print('\n'.join(errs or ['ok']))
        print('%d packets, %d problems' % (len(items), len(errs)))
        return 1 if errs else 0
    if not a.args:
        ap.error('HEX or --from-file required')
    pkt, exp = parse_line(a.args[:1] + ['ssn=' + a.ssn, 'msg=' + a.msg] + a.args[1:])
    fields = decode([pkt], extra)[0]
    for k, vals in fields.items():
        if not k.startswith('_') and (a.all or k.split('.')[0] not in SKIP_PRINT):
            for v in vals:
                print('%s = %s' % (k, v))
    print('layers: ' + ':'.join(fields['_layers']))
    errs = fields['_problems'] + match(fields, exp)
    for e in errs:
        print('PROBLEM: ' + e)
    return 1 if errs else 0


if __name__ == '__main__':
    sys.exit(main())
