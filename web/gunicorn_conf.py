"""gunicorn's settings for Zhunru:

    gunicorn -c python:web.gunicorn_conf -w 4 -b 0.0.0.0:8000 "web.app:create_app()"

gunicorn's own lines (start, workers, errors) and the app's go through web/logs.py: level ZHUNRU_LOG_LEVEL,
format ZHUNRU_LOG_FORMAT (`json` for one JSON object a line), to standard error. The app logs each request with
its id on zhunru.request; gunicorn's access line, which has no id, shows at DEBUG only.
"""
from web import logs

logconfig_dict = logs.dict_config()
