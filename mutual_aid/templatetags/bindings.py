from django import template

from mutual_aid.relations import relation_seen_by

register = template.Library()


@register.filter
def relation_to(binding, person):
    """`{{ binding|relation_to:person }}`: who the other side of the binding is to `person` (子女, 父母…)."""
    return relation_seen_by(
        relation=binding.relation, reader_is_authorizer=binding.authorizer.person_id == person.pk
    ).label
