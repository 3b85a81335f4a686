"""A TCP relay in front of Mailpen's HTTP port that tells when a request has passed through it, so that a test
can act while a long request (a wait) is pending at the server instead of guessing how long it takes to get there.
"""
import socket
import threading


class RequestRelay:
    """Listens on a port of its own and forwards every connection to `target_port`; `forwarded` is set once
    a whole request head (up to the blank line) has been handed to the server."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.forwarded = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, destination, is_request):
        head = b""
        try:
            while data := source.recv(65536):
                destination.sendall(data)
                if is_request and not self.forwarded.is_set():
                    head += data
                    if b"\r\n\r\n" in head:
                        self.forwarded.set()
            destination.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
