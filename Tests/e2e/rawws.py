"""A deliberately small WebSocket client over a plain socket, for what a real client refuses to
do: send a frame with the RSV1 (compressed) bit and bytes we chose, such as a deflate bomb,
and see the exact frames (RSV1 bit, payload length) the server sends back."""

import base64
import os
import socket
import struct
import zlib
from dataclasses import dataclass

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


@dataclass
class Frame:
    fin: bool
    rsv1: bool
    opcode: int
    payload: bytes

    @property
    def close_code(self):
        return struct.unpack("!H", self.payload[:2])[0] if len(self.payload) >= 2 else None


def deflate_message(data, level=9):
    """permessage-deflate payload of one message: raw deflate, sync flush, tail removed."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


class RawWebSocket:
    """One client connection; `handshake` returns the response status and headers."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.host, self.port = host, port
        self.buffer = b""
        self.inflater = None

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def handshake(self, path, headers=None):
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        response_headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            response_headers[name.strip().lower()] = value.strip()
        extensions = response_headers.get("sec-websocket-extensions", "")
        if "permessage-deflate" in extensions:
            self.inflater = zlib.decompressobj(-15)
            self.server_no_context_takeover = "server_no_context_takeover" in extensions
        return status, response_headers

    def send_frame(self, opcode, payload, fin=True, rsv1=False):
        mask = os.urandom(4)
        header = _frame_header(opcode, len(payload), fin, rsv1) + mask
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if len(payload) < 4096 else _mask(payload, mask)
        self.sock.sendall(header + masked)

    def send_frame_header(self, opcode, length, fin=True):
        """Only a frame's header (and mask), announcing `length` payload bytes that never come:
        what a peer's limit check sees first."""
        self.sock.sendall(_frame_header(opcode, length, fin, False) + os.urandom(4))

    def send_compressed_text(self, text):
        self.send_frame(OP_TEXT, deflate_message(text.encode()), rsv1=True)

    def recv_frame(self):
        """The next frame as sent by the server (payload still compressed when rsv1)."""
        first, second = self._read(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8))
        assert not second & 0x80, "server frames must not be masked"
        return Frame(bool(first & 0x80), bool(first & 0x40), first & 0x0F, self._read(length))

    def recv_message(self):
        """(opcode, data, wire_bytes, compressed) of the next data message, skipping pings;
        a close frame is returned as (OP_CLOSE, payload, len, False)."""
        frames = []
        while True:
            frame = self.recv_frame()
            if frame.opcode == OP_PING:
                self.send_frame(OP_PONG, frame.payload)
                continue
            if frame.opcode == OP_CLOSE:
                return OP_CLOSE, frame.payload, len(frame.payload), False
            frames.append(frame)
            if frame.fin:
                break
        wire = b"".join(frame.payload for frame in frames)
        compressed = frames[0].rsv1
        data = wire
        if compressed:
            data = self.inflater.decompress(wire + b"\x00\x00\xff\xff")
            if self.server_no_context_takeover:
                self.inflater = zlib.decompressobj(-15)
        return frames[0].opcode, data, len(wire), compressed

    def recv_close(self):
        """Reads until the server's close frame; returns its close code (None: no code)."""
        while True:
            opcode, payload, _, _ = self.recv_message()
            if opcode == OP_CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    def _read(self, count):
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("server closed the TCP connection")
        self.buffer += chunk


def _mask(payload, mask):
    """XOR-masks a large payload quickly by treating it as one big integer."""
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(len(payload), "little")


def _frame_header(opcode, length, fin, rsv1):
    """A client frame's first bytes up to the mask: flags, opcode, masked length."""
    header = bytes([(0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode])
    if length < 126:
        return header + bytes([0x80 | length])
    if length < 1 << 16:
        return header + bytes([0x80 | 126]) + struct.pack("!H", length)
    return header + bytes([0x80 | 127]) + struct.pack("!Q", length)
