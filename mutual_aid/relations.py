"""A binding's relation read from either side: it is stored as the beneficiary's relation to the
authorizer, so the beneficiary reads the authorizer's relation to him, the inverse."""

from __future__ import annotations

from mutual_aid.models import Relation

_INVERSE: dict[str, Relation] = {
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.PARENT: Relation.CHILD,
    Relation.CHILD: Relation.PARENT,
    Relation.SIBLING: Relation.SIBLING,
    # A father's parent has his son's child as paternal grandchild; a mother's, her daughter's.
    Relation.PATERNAL_GRANDPARENT: Relation.PATERNAL_GRANDCHILD,
    Relation.MATERNAL_GRANDPARENT: Relation.MATERNAL_GRANDCHILD,
    Relation.PATERNAL_GRANDCHILD: Relation.PATERNAL_GRANDPARENT,
    Relation.MATERNAL_GRANDCHILD: Relation.MATERNAL_GRANDPARENT,
}


def relation_inverse(relation: str) -> Relation:
    """The authorizer's relation to the beneficiary, given the beneficiary's to the authorizer."""
    return _INVERSE[relation]


def relation_seen_by(*, relation: str, reader_is_authorizer: bool) -> Relation:
    """What the other side is to the reader: the authorizer reads the stored relation as it is."""
    return Relation(relation) if reader_is_authorizer else relation_inverse(relation)
