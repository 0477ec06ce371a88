"""A fictional district (明湖区) generated deterministically, for the demo and benchmarks.

Rows come out in the import columns, so the demo is loaded through the same
import path as a real district's spreadsheet.
"""

import datetime as dt
import random
from dataclasses import dataclass

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞志海燕春梅晓东波宁琳雪峰亮斌俊凯云丹婷健林颖佳宇浩然思源欣怡子涵梓萱一诺浩宇"
POSTS = [
    "社区工作者",
    "村民",
    "教师",
    "医生",
    "公务员",
    "企业职工",
    "个体经营者",
    "退休",
    "工程师",
    "护士",
    "会计",
    "驾驶员",
    "农民",
    "律师",
    "社工",
]

# The import columns (orgs.resources defines them; a test keeps these equal).
# Spelled out so the generator runs without Django set up (benchmarks write files first).
ORG_HEADERS = [
    "组织代码",
    "组织名称",
    "上级组织代码",
    "组织类型",
    "所属领域",
    "书记姓名",
    "联系电话",
    "成立日期",
]
MEMBER_HEADERS = [
    "党员编号",
    "姓名",
    "性别",
    "出生日期",
    "入党日期",
    "党员类别",
    "所在党组织代码",
    "工作岗位",
    "手机号码",
]

ROOT_CODE = "MH"


@dataclass
class District:
    organizations: list[list[str]]
    members: list[list[str]]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _date(rng: random.Random, start: int, end: int) -> dt.date:
    return dt.date(start, 1, 1) + dt.timedelta(
        days=rng.randrange((dt.date(end, 12, 31) - dt.date(start, 1, 1)).days)
    )


def generate(
    *,
    organizations: int = 300,
    members: int = 5000,
    seed: int = 2010,
    code: str = ROOT_CODE,
    place: str = "明湖区",
    parent: str = "",
    shuffle: bool = True,
) -> District:
    """About ``organizations`` units over every sector and kind, and ``members`` members.

    ``code`` prefixes every organisation code and member number, ``place`` names
    the district, ``parent`` puts its committee under another organisation (a
    city's, ``generate_city``)."""
    rng = random.Random(seed)
    orgs: list[list[str]] = []

    def add(code: str, name: str, parent: str, kind: str, sector: str) -> str:
        founded = _date(rng, 1950, 2009).isoformat()
        phone = f"0531-8{rng.randrange(1000000, 9999999)}"
        orgs.append([code, name, parent, kind, sector, _person(rng), phone, founded])
        return code

    root = add(code, f"中共{place}委员会", parent, "党委", "机关")
    scale = max(1, round(organizations / 300))
    # Streets: 党工委 → 社区党委 → 党支部, plus 两新 branches.
    for s in range(1, 5 * scale + 1):
        street = add(
            f"{code}-JD{s:02d}", f"中共{place}第{s}街道工作委员会", root, "党工委", "街道社区"
        )
        for c in range(1, 5):
            community = add(
                f"{street}-SQ{c}", f"第{s}街道第{c}社区党委", street, "党委", "街道社区"
            )
            for b in range(1, 4):
                add(
                    f"{community}-{b}",
                    f"第{s}街道第{c}社区第{b}党支部",
                    community,
                    "党支部",
                    "街道社区",
                )
        for e in range(1, 3):
            add(
                f"{street}-FG{e}",
                f"第{s}街道{place[:-1]}{e}号科技公司党支部",
                street,
                "党支部",
                "非公有制企业",
            )
        add(f"{street}-SZ", f"第{s}街道社会组织联合党支部", street, "党支部", "社会组织")
    # Towns: 镇党委 → 村党总支 → 党支部.
    for t in range(1, 3 * scale + 1):
        town = add(f"{code}-Z{t:02d}", f"中共{place}第{t}镇委员会", root, "党委", "农村")
        for v in range(1, 7):
            village = add(f"{town}-C{v}", f"第{t}镇第{v}村党总支", town, "党总支", "农村")
            for b in range(1, 3):
                add(f"{village}-{b}", f"第{t}镇第{v}村第{b}党支部", village, "党支部", "农村")
    # Organs, institutions, state enterprises, social organisations, a temporary committee.
    organs = add(f"{code}-JG", f"中共{place}直属机关工作委员会", root, "党工委", "机关")
    for d in range(1, 4 * scale + 1):
        group = add(f"{code}-JG-DZ{d:02d}", f"{place}第{d}局党组", organs, "党组", "机关")
        add(f"{group}-JD", f"{place}第{d}局机关党支部", group, "党支部", "机关")
    education = add(f"{code}-JY", f"中共{place}教育局委员会", root, "党委", "事业单位")
    for sc in range(1, 4 * scale + 1):
        school = add(
            f"{code}-JY-{sc:02d}", f"{place}第{sc}中学党总支", education, "党总支", "事业单位"
        )
        for b in range(1, 3):
            add(f"{school}-{b}", f"{place}第{sc}中学第{b}党支部", school, "党支部", "事业单位")
    enterprises = add(f"{code}-GZ", f"中共{place}国资委委员会", root, "党委", "国有企业")
    for en in range(1, 3 * scale + 1):
        company = add(
            f"{code}-GZ-{en:02d}",
            f"{place[:-1]}第{en}集团公司党委",
            enterprises,
            "党委",
            "国有企业",
        )
        for b in range(1, 3):
            add(
                f"{company}-{b}",
                f"{place[:-1]}第{en}集团公司第{b}党支部",
                company,
                "党支部",
                "国有企业",
            )
    social = add(f"{code}-SZ", f"中共{place}社会组织综合委员会", root, "党委", "社会组织")
    for so in range(1, 3 * scale + 1):
        add(f"{code}-SZ-{so:02d}", f"{place}第{so}社会组织党支部", social, "党支部", "社会组织")
    temporary = add(f"{code}-LS", f"{place}重大项目建设临时党委", root, "临时党委", "其他")
    for p in range(1, 2 * scale + 1):
        site = add(
            f"{code}-LS-{p:02d}", f"重点工程第{p}标段临时党总支", temporary, "临时党总支", "其他"
        )
        add(f"{site}-1", f"重点工程第{p}标段临时党支部", site, "临时党支部", "其他")
    while len(orgs) < organizations:  # top up with community branches to the size asked for
        n = len(orgs)
        add(
            f"{code}-JD01-SQ1-X{n}",
            f"第1街道第1社区第{n}党支部",
            f"{code}-JD01-SQ1",
            "党支部",
            "街道社区",
        )

    branch_codes = [row[0] for row in orgs if row[3] in ("党支部", "临时党支部", "党总支")]
    people: list[list[str]] = []
    today = dt.date(2026, 1, 1)
    for i in range(members):
        birth = _date(rng, 1935, 2000)
        earliest = (
            birth.replace(year=birth.year + 18)
            if not (birth.month == 2 and birth.day == 29)
            else dt.date(birth.year + 18, 3, 1)
        )
        joined = earliest + dt.timedelta(
            days=rng.randrange(
                max(1, (min(today, earliest.replace(year=earliest.year + 40)) - earliest).days)
            )
        )
        category = "预备党员" if (today - joined).days < 365 else "正式党员"
        mobile = (
            f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}" if rng.random() < 0.8 else ""
        )
        people.append(
            [
                f"{code}{i + 1:07d}",
                _person(rng),
                rng.choice(("男", "女")),
                birth.isoformat(),
                joined.isoformat(),
                category,
                rng.choice(branch_codes),
                rng.choice(POSTS),
                mobile,
            ]
        )
    if shuffle:
        rng.shuffle(orgs)  # children before parents, as real spreadsheets come
    return District(organizations=orgs, members=people)


CITY_CODE = "MC"


def generate_city(
    *, districts: int = 5, organizations: int = 16_800, members: int = 360_000, seed: int = 2010
) -> District:
    """A city (明湖市) of ``districts`` districts shaped like ``generate``'s, under
    the city committee and its organs' working committee: about
    ``organizations`` units and ``members`` members in all (issue 9's city size
    is 16,800 / 360,000)."""
    rng = random.Random(seed)
    orgs = [
        [CITY_CODE, "中共明湖市委员会", "", "党委", "机关", "周明", "0531-86000000", "1949-10-01"],
        [
            f"{CITY_CODE}-JG",
            "中共明湖市直属机关工作委员会",
            CITY_CODE,
            "党工委",
            "机关",
            "",
            "",
            "",
        ],
    ]
    people: list[list[str]] = []
    per_district = (organizations - len(orgs)) // districts
    per_members = members // districts
    for d in range(1, districts + 1):
        part = generate(
            # the last district takes what rounding left over
            organizations=per_district if d < districts else organizations - len(orgs),
            members=per_members if d < districts else members - len(people),
            seed=seed + d,
            code=f"D{d}",
            place=f"明湖市第{d}区",
            parent=CITY_CODE,
            shuffle=False,
        )
        orgs += part.organizations
        people += part.members
    rng.shuffle(orgs)
    return District(organizations=orgs, members=people)
