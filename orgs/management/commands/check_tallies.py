"""Recount the stored per-organisation counts and report (or, with --repair, fix) drift."""

from django.core.management.base import BaseCommand, CommandError

from core import audit
from orgs import tallies


class Command(BaseCommand):
    help = "核对党组织统计数（本级 / 含下级的组织数、党员数等）与实际数据是否一致；--repair 修正"

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="把不一致的统计数改为重新统计的结果"
        )
        parser.add_argument(
            "--counter",
            action="append",
            choices=tallies.registered(),
            help="只核对这一项（可重复）；默认全部",
        )

    def handle(self, *args, repair: bool, counter: list[str] | None, **options):
        names = counter or tallies.registered()
        found = tallies.drift(names)
        for item in found[:200]:
            self.stdout.write(str(item))
        if len(found) > 200:
            self.stdout.write(f"……另有 {len(found) - 200} 处")
        if not found:
            self.stdout.write(f"统计数一致（{'、'.join(names)}）")
            return
        if not repair:
            raise CommandError(f"发现 {len(found)} 处统计数不一致；用 --repair 修正")
        with audit.acting(None, audit.Source.COMMAND):
            fixed = tallies.recount(names)
        self.stdout.write(f"已修正 {fixed} 处")
