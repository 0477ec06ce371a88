"""Send the deadline reminders due today (what the daily beat job does)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from core import reminders


class Command(BaseCommand):
    help = "发送到期提醒（与每日定时任务相同；同一用户同一截止日期只发一次）"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="as if today were this day (YYYY-MM-DD)")
        parser.add_argument("--kind", action="append", default=[], help="only this source")

    def handle(self, *args, **options):
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError as error:
                raise CommandError(f"--date：日期格式应为 YYYY-MM-DD（{error}）") from error
        unknown = set(options["kind"]) - set(reminders.registered())
        if unknown:
            names = ", ".join(sorted(unknown))
            known = ", ".join(reminders.registered())
            raise CommandError(f"--kind：没有这种提醒：{names}（可用：{known}）")
        sent = reminders.reminders_send(today=today, kinds=options["kind"])
        for kind, n in sent.items():
            self.stdout.write(f"{kind}: {n}")
