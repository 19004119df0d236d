"""The organisation portal: sign-up, organisations, applications, licences, members (/portal/)."""
