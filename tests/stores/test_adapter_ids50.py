"""What a purge leaves of an erased cube's id in the adapters it keeps (stores.adapters)."""

from __future__ import annotations


def test_without_ids_writes_each_erased_id_as_purged_and_leaves_others() -> None:
    """A purged cube's id leaves an adapter's reasons (stores.adapters.without_ids): ids of
    memos's own form found as whole tokens in one pass, any other id by its text."""
    import uuid

    from stores.adapters import PURGED_ID, without_ids

    gone, kept = uuid.uuid4().hex, uuid.uuid4().hex
    text = f"trained on cube {gone}, which was forgotten; beside {kept}; {gone}"
    assert without_ids(text, {gone}) == (f"trained on cube {PURGED_ID}, which was forgotten; "
                                         f"beside {kept}; {PURGED_ID}")
    assert without_ids(f"{gone}0", {gone}) == f"{gone}0"  # part of a longer hex token
    assert without_ids("cube legacy-1 purged", {"legacy-1"}) == f"cube {PURGED_ID} purged"
    assert without_ids(text, set()) == text
