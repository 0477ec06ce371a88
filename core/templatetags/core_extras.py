from django import template

register = template.Library()


@register.filter
def dictget(mapping, key):
    """mapping[key] in a template (0 when missing)."""
    return mapping.get(key, 0) if hasattr(mapping, "get") else 0
