APP_LIBS := net http blk
