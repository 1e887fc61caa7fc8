/*
 * Unit tests for lib/list: insertion at both ends, removal anywhere (also while iterating),
 * splicing, and the state of a removed node.
 */
#include <check.h>
#include <stdlib.h>

#include "lib/list.h"
#include "xenolith/test_main.h"

struct item {
    int value;
    struct list_node link;
};

static void expect_values(struct list_node *head, const int *values, size_t n)
{
    ck_assert_uint_eq(list_length(head), n);
    size_t i = 0;
    list_for_each(node, head) {
        ck_assert_int_eq(list_entry(node, struct item, link)->value, values[i]);
        i++;
    }
    /* And backwards through prev. */
    for (struct list_node *p = head->prev; p != head; p = p->prev)
        ck_assert_int_eq(list_entry(p, struct item, link)->value, values[--i]);
}

START_TEST(add_and_iterate)
{
    struct list_node head;
    list_init(&head);
    ck_assert(list_empty(&head));
    ck_assert_ptr_null(list_first(&head));
    ck_assert_ptr_null(list_last(&head));
    struct item items[4] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } }, { 4, { 0 } } };
    list_add_tail(&head, &items[1].link);
    list_add_tail(&head, &items[2].link);
    list_add_head(&head, &items[0].link);
    list_add_tail(&head, &items[3].link);
    ck_assert(!list_empty(&head));
    expect_values(&head, (int[]){ 1, 2, 3, 4 }, 4);
    ck_assert_ptr_eq(list_first(&head), &items[0].link);
    ck_assert_ptr_eq(list_last(&head), &items[3].link);
}
END_TEST

START_TEST(remove_anywhere_and_twice)
{
    struct list_node head = LIST_INIT(head);
    struct item items[3] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } } };
    for (int i = 0; i < 3; i++)
        list_add_tail(&head, &items[i].link);
    list_remove(&items[1].link);
    ck_assert(!list_node_linked(&items[1].link));
    list_remove(&items[1].link); /* harmless */
    expect_values(&head, (int[]){ 1, 3 }, 2);
    ck_assert_ptr_eq(list_pop_head(&head), &items[0].link);
    ck_assert_ptr_eq(list_pop_head(&head), &items[2].link);
    ck_assert_ptr_null(list_pop_head(&head));
    ck_assert(list_empty(&head));
}
END_TEST

START_TEST(remove_while_iterating)
{
    struct list_node head = LIST_INIT(head);
    struct item items[6];
    for (int i = 0; i < 6; i++) {
        items[i].value = i;
        list_add_tail(&head, &items[i].link);
    }
    list_for_each_safe(node, &head) {
        if (list_entry(node, struct item, link)->value % 2 == 0)
            list_remove(node);
    }
    expect_values(&head, (int[]){ 1, 3, 5 }, 3);
}
END_TEST

START_TEST(splice)
{
    struct list_node a = LIST_INIT(a), b = LIST_INIT(b);
    struct item items[4] = { { 1, { 0 } }, { 2, { 0 } }, { 3, { 0 } }, { 4, { 0 } } };
    list_add_tail(&a, &items[0].link);
    list_add_tail(&b, &items[1].link);
    list_add_tail(&b, &items[2].link);
    list_splice_tail(&a, &b);
    ck_assert(list_empty(&b));
    list_splice_tail(&a, &b); /* an empty list adds nothing */
    list_add_tail(&a, &items[3].link);
    expect_values(&a, (int[]){ 1, 2, 3, 4 }, 4);
}
END_TEST

static Suite *list_suite(void)
{
    Suite *s = suite_create("lib_list");
    TCase *tc = tcase_create("list");
    tcase_add_test(tc, add_and_iterate);
    tcase_add_test(tc, remove_anywhere_and_twice);
    tcase_add_test(tc, remove_while_iterating);
    tcase_add_test(tc, splice);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(list_suite)
