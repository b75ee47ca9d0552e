"""The client's HTTP call: an answer cut off mid-way (the server killed while answering) means "try again later"."""

from __future__ import annotations

import socket
import threading

import pytest

from scanner_client.http import UnreachableError, call


def cut_off_server(answer: bytes) -> tuple[int, threading.Thread]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(answer)
        conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1290\r\n\r\n{\"items\": [",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"items\": ",
])
def test_an_answer_cut_off_is_unreachable_not_a_crash(answer):
    port, thread = cut_off_server(answer)
    with pytest.raises(UnreachableError):
        call(f"http://127.0.0.1:{port}", "POST", "/devices/records", {"records": []}, timeout=5)
    thread.join(5)
