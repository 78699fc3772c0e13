"""Notifications read as written Chinese."""


def test_a_notification_never_doubles_its_punctuation():
    from handlers.notify_unit import tidy

    assert tidy("某单位违规设置准入条件。。请在三个工作日内核查。") == "某单位违规设置准入条件。请在三个工作日内核查。"
    assert tidy("摘要：，内容；。") == "摘要：内容；"
    assert tidy("版本 1.2，金额 3,000 元") == "版本 1.2，金额 3,000 元"
