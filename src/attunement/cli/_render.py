"""Where the commands write: the consoles, and tables that stay whole in a pipe."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

out_console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def print_table(table: Table) -> None:
    """In a terminal the table fits the window; written to a file or pipe, each row stays on
    one line instead of being folded or cut to the 80 characters a pipe is given."""
    wide = out_console if out_console.is_terminal else Console(highlight=False, width=1000)
    wide.print(table)


def print_frame(frame, *, title: str) -> None:
    """A DataFrame as a table: floats to 4 significant digits, NaN left blank."""
    import math

    table = Table(title=title, box=None, pad_edge=False, title_justify="left")
    for i, col in enumerate(frame.columns):
        table.add_column(str(col), no_wrap=i == 0, overflow="fold")
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float):
                cells.append("" if math.isnan(value) else f"{value:.4g}")
            else:
                cells.append(escape(str(value)))
        table.add_row(*cells)
    print_table(table)


def print_pairs(rows) -> None:
    """Rows of (name, value) as a two-column table without a header."""
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    print_table(table)
