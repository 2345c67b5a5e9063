from __future__ import annotations

from tqr_notification.domain.delivery import MAX_ANSWER_CHARS, DeliveryResult, DeliveryStatus, scrub


def test_scrub_removes_destination_and_text_from_answers():
    answer = 'accepted {"to":"13812345678","text":"验证码482913"}'
    cleaned = scrub(answer, "13812345678", "验证码482913")
    assert "13812345678" not in cleaned and "482913" not in cleaned


def test_results_bound_the_stored_answer_and_say_whether_to_retry():
    long = DeliveryResult.failed("x" * 5000, transient=True)
    assert len(long.provider_answer) == MAX_ANSWER_CHARS and long.retryable
    sent = DeliveryResult.delivered("250 OK", "id-1")
    assert sent.sent and sent.status is DeliveryStatus.SENT and not sent.retryable
