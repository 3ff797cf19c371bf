"""`camreg codes …`: check camera codes and unified social credit codes without a database.

Exit status of both commands: 0 when the code is valid, 1 when it is not (the reasons are printed),
2 on a usage error.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from registry.camera_codes import DEFAULT_EDITION, validate_code
from registry.uscc import check_uscc

codes_app = typer.Typer(
    help="编码校验 / Check camera codes (GB/T 28181) and credit codes (GB 32100).", no_args_is_help=True
)


class EditionChoice(StrEnum):
    """The GB/T 28181 editions whose code tables we know."""

    e2016 = "2016"
    e2022 = "2022"


JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@codes_app.callback()
def _group() -> None:
    """Keep sub-commands named."""


@codes_app.command("validate")
def validate(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The 20-digit camera code.")],
    edition: Annotated[
        EditionChoice, typer.Option("--edition", help="GB/T 28181 edition of the code tables.")
    ] = (EditionChoice(DEFAULT_EDITION)),
    json_output: JsonFlag = False,
) -> None:
    """Check a 20-digit camera code field by field; exit 1 when it is invalid."""
    result = validate_code(code, edition.value)
    if json_output:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"{result.code}: {'有效 / valid' if result.valid else '无效 / invalid'} "
            f"(GB/T 28181-{result.edition})"
        )
        for name, value in result.fields.items():
            typer.echo(f"  {name:<10} {value.code:<6} {value.name or ''}")
        for issue in result.errors:
            typer.echo(f"  错误 / error   [{issue.field}] {issue.message}")
        for issue in result.warnings:
            typer.echo(f"  警告 / warning [{issue.field}] {issue.message}")
    raise typer.Exit(code=0 if result.valid else 1)


@codes_app.command("uscc")
def uscc(
    code: Annotated[str, typer.Argument(metavar="CODE", help="The 18-character unified social credit code.")],
    json_output: JsonFlag = False,
) -> None:
    """Check a 统一社会信用代码 (GB 32100-2015); exit 1 when it is invalid."""
    issues = check_uscc(code)
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "code": code.strip(),
                    "valid": not issues,
                    "errors": [{"field": i.field, "message": i.message} for i in issues],
                },
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(f"{code.strip()}: {'有效 / valid' if not issues else '无效 / invalid'}")
        for issue in issues:
            typer.echo(f"  错误 / error [{issue.field}] {issue.message}")
    raise typer.Exit(code=1 if issues else 0)
