"""`zhunru credit export`: hand the credit-information sharing platform the records waiting for it."""
from pathlib import Path

import click

from .cli_support import command, emit, transaction


@click.group("credit", help="信用信息共享平台出件箱")
def credit_group() -> None:
    pass


@credit_group.command("export", help="把尚未报送的信用记录写成一个 JSON Lines 文件，供平台收取；每条只导出一次")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True)
@command
def export(directory: str, as_json: bool) -> None:
    from engine.timing.clock import system_now
    from handlers.registers import credit  # imported when the command runs, not for `zhunru --help` (see web/cli.py)

    with transaction() as session:
        path, count = credit.export(session, Path(directory), system_now())
    emit(as_json, {"file": str(path) if path else None, "records": count},
         lambda r: f"已导出 {r['records']} 条 → {r['file']}" if r["file"] else "没有待报送的信用记录")


def register(main: click.Group) -> None:
    main.add_command(credit_group)
