"""The API's Chalice app keeps each thread's request to that thread."""
import threading

from chalicelib.api.application import RequestScopedChalice


def test_each_thread_sees_only_its_own_request():
    app = RequestScopedChalice(app_name="probe")
    barrier = threading.Barrier(8)
    seen = {}

    def handle(n):
        app.current_request = f"request-{n}"
        app.lambda_context = f"context-{n}"
        barrier.wait()  # every thread has now set its own request on the one shared app
        seen[n] = (app.current_request, app.lambda_context)

    threads = [threading.Thread(target=handle, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {n: (f"request-{n}", f"context-{n}") for n in range(8)}
    assert app.current_request is None  # this thread never handled a request
