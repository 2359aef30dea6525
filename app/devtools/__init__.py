"""Dev-only processes: the warm-fork dev server and worker of the dev loop. Never in the prod image
(the Dockerfile's prod stage leaves this package out; tests/image/test_prod_image.py checks).

    python -m devtools.devserver 0.0.0.0:8000          web: runserver, each reload forked warm
    python -m devtools.devworker -m celery --app config worker ...   the worker, likewise
    python -m devtools.devworker -m config.beat        beat, likewise
"""
