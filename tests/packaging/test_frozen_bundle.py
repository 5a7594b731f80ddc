"""The Linux bundle, built from packaging/contacts_migration.spec and run as a user would.

The build happens once per test run (packaging/build_linux.sh, skipped when nothing
changed since the last one). Then the frozen program itself: ``--version``, the sandbox,
``init-db``, ``activate``, ``verify``, ``diagnostics`` and the demo (whose sandbox is a
child process of the frozen program). Also checked without a build: the Windows
installer definition is well-formed and names what the spec produces.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import httpx
import pytest

from tests.components import require_component

ROOT: Final = Path(__file__).resolve().parents[2]
DIST: Final = ROOT / "dist" / "contacts-migration"
PROGRAM: Final = DIST / "contacts-migration"
SPEC: Final = ROOT / "packaging" / "contacts_migration.spec"
WXS: Final = ROOT / "packaging" / "windows" / "contacts-migration.wxs"
MAX_BUNDLE_BYTES: Final = 150_000_000
BUILD_TIMEOUT: Final = 1500
WIX_NS: Final = "{http://wixtoolset.org/schemas/v4/wxs}"


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The built bundle's folder (built here, at most once per run)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux bundle is built on Linux; see packaging/README.md for Windows")
    if importlib.util.find_spec("PyInstaller") is None:
        require_component("PyInstaller", "pip install -e '.[build]' (scripts/setup.sh does)")
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build_linux.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    elapsed = time.monotonic() - started
    print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
    print(f"bundle step took {elapsed:.0f} s")
    assert result.returncode == 0, f"the build failed:\n{result.stderr[-5000:]}"
    assert PROGRAM.is_file()
    return DIST


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTACTS_MIGRATION_")}
    env["CONTACTS_MIGRATION_HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    return env


def _run(home: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROGRAM), *args],
        env=_env(home),
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.timeout(BUILD_TIMEOUT + 120)
def test_version(bundle: Path, tmp_path: Path) -> None:
    from contacts_migration import __version__

    result = _run(tmp_path / "home", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"contacts-migration {__version__}"
    assert "+source" not in result.stdout  # the package metadata went into the bundle


@pytest.mark.timeout(BUILD_TIMEOUT + 120)
def test_size_is_under_150_mb(bundle: Path) -> None:
    size = int(subprocess.run(["du", "-sb", str(bundle)], capture_output=True, text=True,
                              check=True).stdout.split()[0])  # fmt: skip
    print(f"bundle size: {size:,} bytes ({size / 1e6:.1f} MB)")
    assert size < MAX_BUNDLE_BYTES


@pytest.mark.timeout(BUILD_TIMEOUT + 120)
def test_only_the_needed_qt_is_bundled(bundle: Path) -> None:
    internal = bundle / "_internal"
    qt = internal / "PySide6"
    modules = {p.name.split(".")[0] for p in qt.glob("Qt*.so")}
    assert modules == {"QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg"}
    plugins = qt / "Qt" / "plugins"
    assert (plugins / "iconengines" / "libqsvgicon.so").is_file()
    assert (plugins / "imageformats" / "libqsvg.so").is_file()
    assert (plugins / "platforms" / "libqxcb.so").is_file()
    assert not list(qt.rglob("*WebEngine*")) and not list(qt.rglob("libQt6Qml*"))
    assert (internal / "resources" / "icons" / "app.svg").is_file()
    assert (internal / "resources" / "terms" / "terms-of-use.html").is_file()


@pytest.mark.timeout(BUILD_TIMEOUT + 120)
def test_every_library_a_bundled_binary_needs_is_there(bundle: Path) -> None:
    """What the spec pruned must not be needed: a missing library is either bundled or one
    PyInstaller leaves to the system on purpose (libc, libGL, libxcb, wayland...)."""
    from PyInstaller.depend.dylib import include_library

    internal = bundle / "_internal"
    present = {p.name for p in internal.rglob("*.so*")}
    missing: list[str] = []
    for binary in internal.rglob("*.so*"):
        if binary.is_symlink() or not binary.is_file():
            continue
        dump = subprocess.run(["objdump", "-p", str(binary)], capture_output=True, text=True)
        for name in re.findall(r"NEEDED\s+(\S+)", dump.stdout):
            loader = name.startswith(("ld-linux", "ld64"))  # the ELF loader: always the OS's
            if name not in present and not loader and include_library(name):
                missing.append(f"{binary.relative_to(internal)} needs {name}")
    assert not missing, "\n".join(missing)


@pytest.fixture
def frozen_sandbox(bundle: Path, tmp_path: Path) -> Iterator[Path]:
    """``sandbox serve`` from the bundle on a free port; yields its credentials.json."""
    data = tmp_path / "online"
    log = (tmp_path / "sandbox.log").open("wb")
    process = subprocess.Popen(
        [str(PROGRAM), "sandbox", "serve", "--port", "0", "--data", str(data)],
        env=_env(tmp_path / "sandbox-home"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    credentials = data / "credentials.json"
    try:
        deadline = time.monotonic() + 60
        while not _answers(credentials):
            assert process.poll() is None, _text(tmp_path / "sandbox.log")
            assert time.monotonic() < deadline, "the frozen sandbox did not start"
            time.sleep(0.2)
        yield credentials
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _answers(credentials: Path) -> bool:
    try:
        url = json.loads(credentials.read_text())["url"]
        return httpx.get(url + "/api/v1/openapi.json", timeout=2, trust_env=False).is_success
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return False


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.timeout(BUILD_TIMEOUT + 300)
def test_frozen_program_migrates_and_verifies_against_the_frozen_sandbox(
    frozen_sandbox: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    source = f"sqlite:{tmp_path / 'practice.db'}"
    created = _run(home, "init-db", "--source", source, "--contacts", "300")
    assert created.returncode == 0, created.stderr
    activated = _run(
        home,
        "activate",
        "--source",
        source,
        "--credentials",
        str(frozen_sandbox),
        "--accept-terms",
        "--yes",
    )
    assert activated.returncode == 0, activated.stdout + activated.stderr
    assert "300 contacts are online" in activated.stdout
    verified = _run(home, "verify", "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["identical"] is True and report["online_count"] == 300

    zip_path = tmp_path / "diag.zip"
    diagnosed = _run(home, "diagnostics", "--output", str(zip_path))
    assert diagnosed.returncode == 0, diagnosed.stderr
    with zipfile.ZipFile(zip_path) as archive:
        versions = json.loads(archive.read("report.json"))["versions"]
    assert versions["frozen"] is True
    assert re.fullmatch(r"6\.\d+\.\d+", versions["qt"]), versions["qt"]
    assert not versions["pyodbc"].startswith("unavailable"), versions["pyodbc"]


@pytest.mark.timeout(BUILD_TIMEOUT + 300)
def test_frozen_demo_starts_its_sandbox_child(bundle: Path, tmp_path: Path) -> None:
    """The demo's sandbox is ``self_command(...)``: the frozen program, not ``python -m``."""
    result = _run(tmp_path / "home", "demo", "--contacts", "50", "--exit-when-synced")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "50 contacts are online" in result.stdout


# -- the Windows installer definition (no build needed) -------------------------------


def _preprocessed(text: str) -> str:
    """WiX's ``<?define Name = "value" ?>`` substituted for ``$(var.Name)`` (first wins)."""
    defines: dict[str, str] = {}
    for name, value in re.findall(r'<\?define (\w+) = "([^"]*)" \?>', text):
        defines.setdefault(name, value)
    return re.sub(r"\$\(var\.(\w+)\)", lambda m: defines.get(m.group(1), m.group(0)), text)


def test_wxs_is_well_formed_and_names_what_the_spec_builds() -> None:
    spec = SPEC.read_text(encoding="utf-8")
    name = re.search(r'^NAME = "([^"]+)"', spec, re.MULTILINE)
    assert name is not None
    assert 'name=f"{NAME}-gui"' in spec and "console=False" in spec
    text = _preprocessed(WXS.read_text(encoding="utf-8"))
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{WIX_NS}Wix"
    package = root.find(f"{WIX_NS}Package")
    assert package is not None and package.get("Scope") == "perMachine"
    gui_exe = f"{name.group(1)}-gui.exe"
    # Start menu, autostart (Active Setup -> HKCU Run) and files all point at the bundle.
    assert f"[INSTALLFOLDER]{gui_exe}" in text
    assert r"Software\Microsoft\Windows\CurrentVersion\Run" in text
    assert "Active Setup" in text
    files = list(root.iter(f"{WIX_NS}Files"))
    assert files and all(
        f.get("Include", "").startswith("..\\..\\dist\\contacts-migration\\") for f in files
    )
    shortcut_targets = {s.get("Target") for s in root.iter(f"{WIX_NS}Shortcut")}
    assert f"[INSTALLFOLDER]{gui_exe}" in shortcut_targets
    # User data lives under the user's profile; nothing in the package removes it.
    assert "RemoveFolderEx" not in text and "AppData" not in text


def test_linux_desktop_entries_start_the_gui() -> None:
    for name in ("contacts-migration.desktop", "contacts-migration-autostart.desktop"):
        text = (ROOT / "packaging" / "linux" / name).read_text(encoding="utf-8")
        assert text.startswith("[Desktop Entry]\n")
        entries = dict(line.split("=", 1) for line in text.splitlines()[1:] if "=" in line)
        assert entries["Type"] == "Application"
        assert entries["Exec"].split()[1] == "gui"
        assert entries["Icon"]
    autostart = (ROOT / "packaging" / "linux" / "contacts-migration-autostart.desktop").read_text()
    assert "X-GNOME-Autostart-enabled=true" in autostart
