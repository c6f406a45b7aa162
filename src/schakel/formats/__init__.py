"""Date and number formats of Schakel's languages where Django's own do not fit its readers
(``FORMAT_MODULE_PATH``)."""
