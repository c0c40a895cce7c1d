"""Issue 11 item 2: a transfer goes only to a target of the server-side [transfer] allow-list.

Before the fix any URI in a Transfer action was dialled as given; now a URI that is not one of
the configured queues falls back to the default queue.
"""

from __future__ import annotations

from ivr.config import TransferSettings
from ivr.policy import actions as act
from ivr.session.effects import transfer_target

QUEUES = TransferSettings(queues={"default": "sip:desk@10.0.0.5", "vip": "sip:vip@10.0.0.6"})


def test_queue_names_and_listed_uris_are_used() -> None:
    assert transfer_target(act.Transfer(target="vip"), QUEUES) == "sip:vip@10.0.0.6"
    assert transfer_target(act.Transfer(target="sip:vip@10.0.0.6"), QUEUES) == (
        "sip:vip@10.0.0.6")
    assert transfer_target(act.Transfer(target="nope"), QUEUES) == "sip:desk@10.0.0.5"


def test_a_uri_outside_the_allow_list_goes_to_the_default_queue() -> None:
    for uri in ("sip:+900123@premium.example", "sips:evil@203.0.113.9", "sip:vip@10.0.0.6;x"):
        assert transfer_target(act.Transfer(target=uri), QUEUES) == "sip:desk@10.0.0.5"
