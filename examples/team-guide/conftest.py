import psycopg2

from docs_runner import check


@check("greeting-stored")
def greeting_stored(run):
    with psycopg2.connect(run.database_url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT text FROM greetings")
        assert cursor.fetchall() == [("welcome",)]
