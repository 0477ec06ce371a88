from django import template

register = template.Library()


@register.filter
def dictget(mapping, key):
    """mapping[key] in a template (0 when missing)."""
    return mapping.get(key, 0) if hasattr(mapping, "get") else 0


NUMERALS = "零一二三四五六七八九"


@register.filter
def cn_ordinal(number):
    """1 → 一, 12 → 十二, 20 → 二十: the 一、二、 of a document's headings (up to 99)."""
    try:
        n = int(number)
    except (TypeError, ValueError):
        return number
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else NUMERALS[tens] + "十")
    return head + (NUMERALS[ones] if ones else "")
