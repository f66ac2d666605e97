"""`kesu customers`: the confidential customer archive_flow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (
    Now,
    Operator,
    _kesu,
    _now,
    _operator,
)

app = typer.Typer(
    help="The confidential customer archive (PROCEDURE §6): import, export, hand customers over. Each command is "
    "recorded in the archive's access log and audit trail under --as PERSON (default: cli:<operating-system user>).",
    no_args_is_help=True,
)


@app.command("import")
def customers_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV (UTF-8, header row) or XLSX (first sheet) with columns 名称, 别名, 负责业务员, 重点客户, "
            "法定名称, 税号, 地址, 联系人, 电话, 邮箱, 职务, 信用 (or name, aliases, owner, key, legal_name, tax_id, "
            "address, contact, phone, email, title, credit_note)."
        ),
    ],
    as_: Operator = None,
    now: Now = None,
) -> None:
    """Check every row, then add or update (by name) all customers in one transaction; if any row is bad,
    import nothing and list the bad rows (exit code 1). Each change is in the audit trail under --as."""
    from bot.customer_file import FileProblem, read_rows
    from core import archive_flow

    with _kesu() as kesu:
        at = _now(kesu, now)
        actor = _operator(kesu, as_, nothing_done="没有导入任何客户。")
        try:
            rows = read_rows(file)
        except FileProblem as e:
            typer.echo(f"导入失败,没有导入任何客户:{e}", err=True)
            raise typer.Exit(1) from None
        records, report = archive_flow.check_rows(rows, org=kesu.config.org, now=at, limits=kesu.config.limits)
        if report:
            typer.echo(f"导入失败,没有导入任何客户。{len(report)} 行有问题,请修改后重新导入:")
            for line in report:
                typer.echo(f"  {line}")
            raise typer.Exit(1)
        with kesu.uow() as uow:
            added, updated = archive_flow.import_records(uow, records, actor=actor, now=at)
            uow.commit()
        typer.echo(f"导入完成:新增 {added} 个客户,更新 {updated} 个客户。")


@app.command("export")
def customers_export(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the CSV to this file (UTF-8 with BOM, for Excel); default: stdout."),
    ] = None,
    as_: Operator = None,
    now: Now = None,
) -> None:
    """Export the whole archive as CSV, in the import's columns (contacts included: keep the file safe). Each
    customer's access log and the audit trail record the export: who (--as), when, how many, to which file."""
    from bot.customer_file import to_csv
    from core import archive_flow

    with _kesu() as kesu:
        actor = _operator(kesu, as_, nothing_done="未导出任何客户。")
        with kesu.uow() as uow:  # logged before the file is written: an access is never unaccounted for
            records = archive_flow.export(uow, actor=actor, to=str(out) if out else "-", now=_now(kesu, now))
            uow.commit()
    content = to_csv(records)
    if out is None:
        typer.echo(content, nl=False)
        return
    try:
        out.write_text(content, encoding="utf-8-sig")
    except OSError as e:
        typer.echo(f"无法写入 {out}: {e.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已导出 {len(records)} 个客户:{out}", err=True)


@app.command("reassign")
def customers_reassign(
    from_: Annotated[str, typer.Option("--from", help="Person id of the salesperson handing over (e.g. one leaving).")],
    to: Annotated[
        str,
        typer.Option("--to", help="Person id of the successor (role sales or cs_manager) who keeps the customers."),
    ],
    as_: Operator = None,
    now: Now = None,
) -> None:
    """Hand every customer kept by --from to --to in one transaction, and queue a message telling --to which
    customers are now theirs (sent by the outbox dispatcher: `kesu serve`, `kesu worker` or `kesu tick`).
    Refused (exit code 1, nothing changed) unless --to is in sales or the customer-service manager."""
    from bot.notify.outbox import enqueue
    from bot.protocol import message_payload
    from core import archive_flow
    from core.errors import DomainError
    from core.messages import OutboundMessage, Recipient

    with _kesu() as kesu:
        at = _now(kesu, now)
        org = kesu.config.org
        actor = _operator(kesu, as_, nothing_done="未做任何更改。")
        with kesu.uow() as uow:
            try:
                done = archive_flow.reassign(uow, org=org, from_=from_, to=to, actor=actor, now=at)
            except DomainError as e:
                typer.echo(e.message, err=True)
                raise typer.Exit(1) from None
            if not done.moved:
                typer.echo(f"{org.name_of(from_)}({from_})名下没有客户,未做任何更改。")
                return
            notice = OutboundMessage(Recipient.user(to), message_payload(text=done.notice), done.key)
            enqueue(uow, [notice], channel_for=kesu.dispatcher.channel_for, now=at)
            uow.commit()
        moved = f"{len(done.moved)} 个客户交给 {org.name_of(to)}({to}):{done.names}"
        typer.echo(f"已将 {org.name_of(from_)}({from_})的 {moved}")
        typer.echo(f"已通知 {org.name_of(to)}(消息在发件箱中,由发送程序投递)。")
