"""Build-time helpers for the Windows executables: the .ico and the version resource.

Windows shows the icon in Explorer, the taskbar and the Start menu, and the version
resource on the file's Details tab (support staff read it there). The icon is rendered
from ``resources/icons/app.svg`` with Qt, so there is one source picture.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def make_ico(svg: Path, target: Path) -> Path:
    """Render ``svg`` into a multi-size .ico at ``target`` (Qt's ico writer)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG picture.")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Qt's ico writer stores one picture per file; the largest is what Windows scales.
    size = max(ICON_SIZES)
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target), "ICO"):
        raise SystemExit(f"Could not write {target} (is Qt's ico image plugin installed?).")
    return target


def write_version_file(target: Path) -> Path:
    """A PyInstaller version-resource file with the package's version."""
    text = version("contacts-migration").split("+")[0]
    numbers = [int(part) if part.isdigit() else 0 for part in text.split(".")[:4]]
    numbers += [0] * (4 - len(numbers))
    quad = tuple(numbers)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={quad}, prodvers={quad}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
      StringStruct('CompanyName', 'Contacts Migration'),
      StringStruct('FileDescription', 'Contacts Migration'),
      StringStruct('FileVersion', '{text}'),
      StringStruct('InternalName', 'contacts-migration'),
      StringStruct('OriginalFilename', 'contacts-migration.exe'),
      StringStruct('ProductName', 'Contacts Migration'),
      StringStruct('ProductVersion', '{text}')])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])])
  ]
)
""",
        encoding="utf-8",
    )
    return target
