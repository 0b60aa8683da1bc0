{
  "targets": [
    {
      "target_name": "provq_journal_map",
      "sources": ["journal_map.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
