"""What the commands show on the terminal besides their lines: a progress bar while long work runs,
and tables."""

from __future__ import annotations

from typing import Any


def _print_table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


class _Progress:
    """A progress bar on stderr while long work runs (rich), when stderr is a terminal: scripts, pipes
    and tests get the command's output alone. ``step`` advances it and may rename the work."""

    def __init__(self, description: str, total: int | None = None):
        from rich.console import Console

        self.description, self.total = description, total
        self.console = Console(stderr=True)
        self._bar: Any = None
        self._task: Any = None

    @property
    def shown(self) -> bool:
        return self.console.is_terminal

    def __enter__(self) -> _Progress:
        if self.shown:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            counted = (BarColumn(), MofNCompleteColumn()) if self.total is not None else ()
            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), *counted, TimeElapsedColumn(),
                                 console=self.console, transient=True)  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def step(self, description: str | None = None, advance: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=advance, description=description or self.description)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()
