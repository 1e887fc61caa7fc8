APP_LIBS := net
