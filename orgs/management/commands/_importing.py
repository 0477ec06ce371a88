"""Shared body of the import_orgs and import_members commands."""

import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import audit
from core.imports import ImportReport
from core.tabular import TableError, read_table


class ImportCommand(BaseCommand):
    target = ""
    importer: Callable[..., ImportReport]

    def add_arguments(self, parser):
        parser.add_argument("path", help="XLSX 或 CSV 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--as", dest="username", help="以该用户的管辖范围导入（默认不限范围）")

    def handle(self, *args, path, dry_run, username, **options):
        user = None
        if username:
            user = get_user_model().objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"用户不存在：{username}")
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"文件不存在：{path}")
        started = time.perf_counter()
        try:
            table = read_table(file.read_bytes(), file.name, stream=self.target == "党员")
        except TableError as exc:
            raise CommandError(f"{file.name}：{exc}") from None
        with audit.acting(user, audit.Source.COMMAND):
            report = type(self).importer(table, user=user, dry_run=dry_run)
        seconds = time.perf_counter() - started
        if not report.ok:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(report.errors)} 处错误，未写入任何数据")
        verb = "校验通过（未写入）" if dry_run else "导入完成"
        self.stdout.write(
            f"{self.target}{verb}：共 {report.total} 行，新增 {report.created}，更新 {report.updated}，"
            f"无变化 {report.unchanged}（{seconds:.2f} 秒）"
        )
        sys.stdout.flush()
