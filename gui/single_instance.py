"""One instance per user session: a second start asks the first to come to the front."""

from __future__ import annotations

import getpass
import hashlib
import logging
from enum import StrEnum
from typing import Final

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from engine import AppPaths

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS: Final = 500
KEY_DIGITS: Final = 12


class InstanceMessage(StrEnum):
    SHOW = "show"
    ACTIVATE = "activate"


def instance_key(paths: AppPaths) -> str:
    """Per user and per setup folder (a demo and the real setup may run side by side)."""
    digest = hashlib.sha256(str(paths.config_dir).encode()).hexdigest()[:KEY_DIGITS]
    return f"contacts-migration-{getpass.getuser()}-{digest}"


class SingleInstance(QObject):
    message_received = Signal(str)

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._key = key
        self._server: QLocalServer | None = None

    def claim(self, message: InstanceMessage) -> bool:
        """True when this is the first instance; otherwise the first gets ``message``."""
        socket = QLocalSocket()
        socket.connectToServer(self._key)
        if socket.waitForConnected(CONNECT_TIMEOUT_MS):
            socket.write(message.value.encode())
            socket.flush()
            socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
            socket.disconnectFromServer()
            return False
        QLocalServer.removeServer(self._key)  # a crashed instance's leftover
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self._key):
            log.warning("could not listen for a second instance: %s", server.errorString())
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _on_connection(self) -> None:
        if self._server is None:
            return
        socket = self._server.nextPendingConnection()
        if socket is None:
            return

        def read() -> None:
            text = bytes(socket.readAll().data()).decode(errors="replace").strip()
            if text:
                self.message_received.emit(text)
            socket.deleteLater()

        socket.readyRead.connect(read)
