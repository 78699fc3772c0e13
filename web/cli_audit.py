"""`zhunru audit`: verify the tamper-evident record of cases."""
import sys

import click

from engine import audit

from .cli_support import command, emit, transaction


@click.group("audit", help="审计：核验案件记录未被篡改")
def audit_group() -> None:
    pass


@audit_group.command("verify", help="核验哈希链、证明材料与重放结果；有任何不符时退出码为 1")
@click.argument("instance_id", required=False)
@click.option("--all", "all_instances", is_flag=True, help="核验全部案件")
@click.option("--json", "as_json", is_flag=True)
@command
def verify(instance_id: str | None, all_instances: bool, as_json: bool) -> None:
    if bool(instance_id) == all_instances:
        raise click.UsageError("请给出一个案件编号，或使用 --all")
    with transaction() as session:
        result = audit.verify(session, None if all_instances else [instance_id])
    emit(as_json, result, lambda r: "\n".join([
        f"核验通过 {r['verified']} 个案件，不符 {len(r['failed'])} 个",
        *(f"  {f['instance_id']} 第 {f['seq']} 号事件: {f['reason']}" for f in r["failed"])]))
    if result["failed"]:
        sys.exit(1)


def register(main: click.Group) -> None:
    main.add_command(audit_group)
