"""Writing reports so that an interrupted run never leaves half of one behind.

Everything is written into a temporary folder created next to the target (same
parent, so the same file system) and moved into place with ``os.replace`` only once
complete.  A folder this module wrote carries a marker file, and only such a folder
(or an empty one) is ever replaced: a user's unrelated folder is refused, not wiped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from model.errors import InvalidInput

__all__ = ["MARKER", "staged_directory", "write_text_atomically"]

#: The file that marks a folder as written by shardcheck's reports.
MARKER = ".shardcheck-reports"


def _check_target(target: Path, option: str, carry: tuple[str, ...]) -> None:
    if target.exists() and not target.is_dir():
        raise InvalidInput(
            f"{target} is a file; give a folder path for the reports", field=option
        )
    if (
        target.is_dir()
        and any(entry.name not in carry for entry in target.iterdir())
        and not (target / MARKER).exists()
    ):
        raise InvalidInput(
            f"{target} already holds files that shardcheck did not write; choose a "
            "new or empty folder (an earlier report folder is replaced)",
            field=option,
        )


@contextmanager
def staged_directory(
    target: str | Path, *, option: str = "--out", carry: tuple[str, ...] = ()
) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it becomes ``target``.

    On an exception (including Ctrl-C) the temporary folder is removed and
    ``target`` is left as it was.  An earlier report folder at ``target`` is
    replaced as a whole, except for the entries named in ``carry`` (files other
    parts of the same run wrote there), which are moved into the new folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> parent = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_directory(parent / "reports") as staging:
    ...     _ = (staging / "index.md").write_text("hello")
    >>> (parent / "reports" / "index.md").read_text()
    'hello'
    """
    target = Path(target)
    _check_target(target, option, carry)
    parent = target.parent.resolve()
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as error:
        raise InvalidInput(
            f"cannot create a folder in {parent}: {error.strerror}; choose a "
            "writable place",
            field=option,
        ) from None
    try:
        (staging / MARKER).write_text(
            "Written by python -m checks.verify --out; replaced as a whole on the "
            "next run.\n",
            encoding="utf-8",
        )
        yield staging
        for name in carry:
            if (target / name).exists() and not (staging / name).exists():
                os.replace(target / name, staging / name)
        _move_into_place(staging, target.resolve())
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise InvalidInput(
            f"cannot write the reports to {target}: {error.strerror or error}",
            field=option,
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _move_into_place(staging: Path, target: Path) -> None:
    os.chmod(staging, 0o755)
    if target.is_dir() and any(target.iterdir()):
        # os.replace cannot replace a folder that is not empty: move the old one
        # aside first, so the target is always either the old or the new report.
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / "previous")
        try:
            os.replace(staging, target)
        except OSError:
            os.replace(old / "previous", target)
            raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def write_text_atomically(path: str | Path, text: str, *, option: str) -> None:
    """Write one file by way of a temporary file in the same folder.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "chart.svg"
    >>> write_text_atomically(path, "<svg/>", option="--svg")
    >>> path.read_text()
    '<svg/>'
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a file name", field=option)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.tmp-", dir=path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise InvalidInput(
            f"cannot write {path}: {error.strerror or error}", field=option
        ) from None
