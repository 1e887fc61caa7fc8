APP_LIBS := net dns
