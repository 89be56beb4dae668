"""What the tests share, in one place instead of copies in each test file.

- :mod:`tests.support.waiting`: ``wait_for`` — wait on a condition with a deadline.
- :mod:`tests.support.processes`: the ``repmon`` binary, starting and killing it, free ports.
- :mod:`tests.support.loopback`: a loopback HTTP server in a thread, and answering a request.
- :mod:`tests.support.fake_chat`: fake Slack and Feishu servers that record what they receive.
- :mod:`tests.support.fake_sources`: a fake source site serving recorded responses.
- :mod:`tests.support.factories`: configs and migrated databases for a test.
- :mod:`tests.support.alert_samples`: realistic notifications, with a hostile post in them.
- :mod:`tests.support.webseed`: a seeded database for the console's tests.
- :mod:`tests.support.fuzzing`: the Hypothesis profiles and the ``fuzz`` decorator.
"""
