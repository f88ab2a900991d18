import pytest

from mutual_aid.models import Relation
from mutual_aid.relations import relation_inverse, relation_seen_by


@pytest.mark.parametrize(
    ("stored", "seen_by_beneficiary"),
    [
        (Relation.SPOUSE, Relation.SPOUSE),
        (Relation.PARENT, Relation.CHILD),
        (Relation.CHILD, Relation.PARENT),
        (Relation.SIBLING, Relation.SIBLING),
        (Relation.PATERNAL_GRANDPARENT, Relation.PATERNAL_GRANDCHILD),
        (Relation.MATERNAL_GRANDPARENT, Relation.MATERNAL_GRANDCHILD),
        (Relation.PATERNAL_GRANDCHILD, Relation.PATERNAL_GRANDPARENT),
        (Relation.MATERNAL_GRANDCHILD, Relation.MATERNAL_GRANDPARENT),
    ],
)
def test_the_beneficiary_reads_the_authorizers_relation_to_him(stored, seen_by_beneficiary):
    assert relation_seen_by(relation=stored, reader_is_authorizer=False) == seen_by_beneficiary
    assert relation_seen_by(relation=stored, reader_is_authorizer=True) == stored


@pytest.mark.parametrize("relation", list(Relation))
def test_reading_from_the_other_side_twice_gives_the_relation_back(relation):
    assert relation_inverse(relation_inverse(relation)) == relation
