"""ClientRequestTokens: stable for one change and attempt, different for anything else."""
from __future__ import annotations

from chalicelib.adapters.transaction import Transaction


def test_a_token_names_one_change_and_one_attempt():
    first = Transaction("cancel:b1:v3")
    assert first.token() == Transaction("cancel:b1:v3").token()  # a resend is recognised
    assert first.token(0) != first.token(1)  # a new attempt after a conflict is a new request
    assert first.token() != Transaction("cancel:b1:v4").token()  # the next change of the same booking
    assert len(first.token()) <= 36  # DynamoDB's limit
