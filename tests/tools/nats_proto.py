"""A NATS client in the text protocol, enough for tests: SUB (with queue groups), UNSUB,
PUB, HPUB-less requests, MSG and HMSG (headers, e.g. "no responders" and JetStream direct
gets), PING/PONG; and a JetStream KV read (a direct get, nats-server 2.9).

No third-party NATS library is available for Python here; examples/apps/contract_test.py
has the smaller one this grew from. One connection is used by one thread.
"""
import json
import random
import socket
import time


class Msg:
    """A delivered message: subject, reply subject (or None), payload (str), headers (dict,
    lower-case names), status ('' or e.g. '503' for no responders, '404')."""
    __slots__ = ('subject', 'reply', 'data', 'headers', 'status', 'sid', 'at')

    def __init__(self, subject, reply, data, headers=None, status='', sid=0):
        self.subject, self.reply, self.data = subject, reply, data
        self.headers, self.status, self.sid = headers or {}, status, sid
        self.at = time.monotonic()

    def json(self):
        return json.loads(self.data)

    def __repr__(self):
        return 'Msg(%s, %r, %s)' % (self.subject, self.data[:120], self.status or '-')


def parse_headers(block):
    """'NATS/1.0 404 Message Not Found\\r\\nK: V\\r\\n...' -> (status, {k: v})."""
    lines = block.decode(errors='replace').split('\r\n')
    first = lines[0].split(None, 2)
    status = first[1] if len(first) > 1 else ''
    hdrs = {}
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            hdrs[k.strip().lower()] = v.strip()
    return status, hdrs


class Nats:
    def __init__(self, port, name='nats_proto', timeout=5):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.buf = b''
        self.sid = 0
        self.held = []
        info = self._line(time.monotonic() + timeout)
        if not info.startswith(b'INFO '):
            raise OSError('not a NATS server: %r' % info)
        self._send(('CONNECT {"verbose":false,"pedantic":false,"name":"%s","protocol":1,'
                    '"headers":true,"no_responders":true}\r\n' % name).encode())
        self.ping()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _send(self, data):
        self.sock.sendall(data)

    def _fill(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = self.sock.recv(65536)
        if not chunk:
            raise OSError('the server closed the connection')
        self.buf += chunk

    def _line(self, deadline):
        while b'\r\n' not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _payload(self, size, deadline):
        while len(self.buf) < size + 2:
            self._fill(deadline + 5)
        data, self.buf = self.buf[:size], self.buf[size + 2:]
        return data

    def ping(self, timeout=5):
        """A round trip: everything sent before it has reached the server. Messages that
        arrive meanwhile are kept for next()."""
        self._send(b'PING\r\n')
        end = time.monotonic() + timeout
        while True:
            m = self._read(end, want_pong=True)
            if m == 'PONG':
                return
            if m is None:
                raise OSError('no PONG in %s s' % timeout)
            self.held.append(m)

    def sub(self, subject, queue=None):
        self.sid += 1
        self._send(('SUB %s %s%d\r\n' % (subject, queue + ' ' if queue else '', self.sid)).encode())
        return self.sid

    def unsub(self, sid):
        self._send(b'UNSUB %d\r\n' % sid)

    def pub(self, subject, payload, reply=None):
        data = payload.encode() if isinstance(payload, str) else payload
        self._send(('PUB %s %s%d\r\n' % (subject, reply + ' ' if reply else '', len(data))).encode()
                   + data + b'\r\n')

    def next(self, timeout):
        """The next message (Msg), None on timeout."""
        if self.held:
            return self.held.pop(0)
        return self._read(time.monotonic() + timeout)

    def _read(self, deadline, want_pong=False):
        while True:
            try:
                line = self._line(deadline)
            except socket.timeout:
                return None
            if line == b'PING':
                self._send(b'PONG\r\n')
            elif line == b'PONG':
                if want_pong:
                    return 'PONG'
            elif line.startswith(b'MSG '):
                p = line.decode().split()
                data = self._payload(int(p[-1]), deadline)
                return Msg(p[1], p[3] if len(p) == 5 else None, data.decode(errors='replace'),
                           sid=int(p[2]))
            elif line.startswith(b'HMSG '):
                p = line.decode().split()
                hlen, total = int(p[-2]), int(p[-1])
                raw = self._payload(total, deadline)
                status, hdrs = parse_headers(raw[:hlen])
                return Msg(p[1], p[3] if len(p) == 6 else None, raw[hlen:].decode(errors='replace'),
                           hdrs, status, sid=int(p[2]))
            elif line.startswith(b'-ERR'):
                raise OSError(line.decode())

    def request(self, subject, payload, timeout=5):
        """One reply (Msg; status '503' when nobody listens) or None on timeout."""
        inbox = '_INBOX.t%d' % random.randrange(1 << 40)
        sid = self.sub(inbox)
        self.pub(subject, payload, inbox)
        end = time.monotonic() + timeout
        msg = None
        while True:
            m = self._read(end)
            if m is None:
                break
            if m.sid == sid:
                msg = m
                break
            self.held.append(m)     # someone else's: kept for next()
        self.unsub(sid)
        return msg

    def kv_get(self, bucket, key, timeout=5):
        """(value str, headers) of the key's latest entry; (None, headers) when the key is
        absent or its latest entry is a delete/purge marker; raises OSError on no answer."""
        m = self.request('$JS.API.DIRECT.GET.KV_%s' % bucket,
                         json.dumps({'last_by_subj': '$KV.%s.%s' % (bucket, key)}), timeout)
        if m is None:
            raise OSError('no answer to the direct get of %s/%s' % (bucket, key))
        if m.status == '404':
            return None, m.headers
        if m.status:
            raise OSError('direct get of %s/%s: status %s %s' % (bucket, key, m.status, m.headers))
        if m.headers.get('kv-operation') in ('DEL', 'PURGE'):
            return None, m.headers
        return m.data, m.headers


def connect_retry(port, deadline_s, name='nats_proto'):
    """A connection as soon as the server takes one (after a restart), or None."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            return Nats(port, name, timeout=1)
        except OSError:
            time.sleep(0.02)
    return None
