"""A last line of defence: an unexpected error is logged in full and the person sees a
plain dialog (never a traceback); the sync carries on."""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox

from engine import LOG_FILE_NAME, AppPaths
from gui.text import tr

log = logging.getLogger(__name__)


class ExceptionHook:
    def __init__(self, paths: AppPaths) -> None:
        self._log_file = paths.log_dir / LOG_FILE_NAME
        self._dialog: QMessageBox | None = None
        self.count = 0

    def install(self) -> None:
        sys.excepthook = self.on_exception

    def on_exception(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        log.critical("unexpected error", exc_info=(kind, error, trace))
        self._show()

    def on_loop_exception(self, _loop: Any, context: dict[str, Any]) -> None:
        error = context.get("exception")
        log.critical(
            "unexpected error in the event loop: %s",
            context.get("message"),
            exc_info=error if isinstance(error, BaseException) else None,
        )
        self._show()

    def _show(self) -> None:
        self.count += 1
        if QApplication.instance() is None or (
            self._dialog is not None and self._dialog.isVisible()
        ):
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            tr("Contacts Migration"),
            tr("Something unexpected went wrong. The sync carries on."),
        )
        box.setInformativeText(
            tr("The details were written to the log file: ")
            + str(self._log_file)
            + tr(". If it happens again, send that file to support.")
        )
        self._dialog = box
        box.open()
