"""Re-draw a round of spot checks from its record (seed, population, parameters)
and compare with the sample it recorded: prints ``same`` or ``different`` and
exits 1 when they differ, so anyone with the record can check the draw."""

from django.core.management.base import BaseCommand, CommandError

from reviews.models_spotcheck import SpotCheckRound
from reviews.spotcheck import redraw


class Command(BaseCommand):
    help = "按记录的随机种子、抽样总体和参数重新抽取一次随机抽查并与记录比对（same / different）"

    def add_arguments(self, parser):
        parser.add_argument("round", type=int, help="随机抽查的编号（页面地址中的数字）")

    def handle(self, *args, round, **options):  # noqa: A002 (the argument's name)
        round_ = SpotCheckRound.objects.filter(pk=round).first()
        if round_ is None:
            raise CommandError(f"随机抽查 {round} 不存在", returncode=2)
        found = redraw(round_)
        recorded = sorted(int(pk) for pk in round_.sample)
        self.stdout.write(
            f"随机抽查 {round_.pk}「{round_.title}」：种子 {round_.seed}，"
            f"总体 {len(round_.population)} 个单位，记录抽中 {len(recorded)} 个"
        )
        if found.sample == recorded:
            self.stdout.write(f"same：重新抽取结果与记录一致 {recorded}")
            return
        self.stdout.write(f"different：记录 {recorded}")
        self.stdout.write(f"different：重新抽取 {found.sample}")
        raise CommandError("重新抽取结果与记录不一致", returncode=1)
