/*
 * lib/list: the intrusive circular doubly linked list. A struct embeds a struct list_node and
 * is found again with container_of; no allocation, O(1) insert and remove anywhere.
 * A list head is a list_node whose next/prev point to itself when empty.
 */
#ifndef XENOLITH_LIB_LIST_H
#define XENOLITH_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct list_node {
    struct list_node *next, *prev;
};

#define LIST_INIT(head) { &(head), &(head) }

static inline void list_init(struct list_node *head)
{
    head->next = head;
    head->prev = head;
}

static inline bool list_empty(const struct list_node *head)
{
    return head->next == head;
}

static inline void list_insert_between(struct list_node *node, struct list_node *prev,
                                       struct list_node *next)
{
    node->prev = prev;
    node->next = next;
    prev->next = node;
    next->prev = node;
}

static inline void list_add_head(struct list_node *head, struct list_node *node)
{
    list_insert_between(node, head, head->next);
}

static inline void list_add_tail(struct list_node *head, struct list_node *node)
{
    list_insert_between(node, head->prev, head);
}

/* Unlinks node and leaves it pointing at itself, so a second remove is harmless and
 * list_node_linked() can tell. */
static inline void list_remove(struct list_node *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->next = node;
    node->prev = node;
}

static inline bool list_node_linked(const struct list_node *node)
{
    return node->next != node;
}

/* First/last node, or NULL when empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
    return list_empty(head) ? NULL : head->next;
}

static inline struct list_node *list_last(const struct list_node *head)
{
    return list_empty(head) ? NULL : head->prev;
}

static inline struct list_node *list_pop_head(struct list_node *head)
{
    struct list_node *n = list_first(head);
    if (n)
        list_remove(n);
    return n;
}

/* Moves every node of `from` to the tail of `to`; `from` ends empty. */
static inline void list_splice_tail(struct list_node *to, struct list_node *from)
{
    if (list_empty(from))
        return;
    struct list_node *first = from->next, *last = from->prev;
    first->prev = to->prev;
    to->prev->next = first;
    last->next = to;
    to->prev = last;
    list_init(from);
}

static inline size_t list_length(const struct list_node *head)
{
    size_t n = 0;
    for (const struct list_node *p = head->next; p != head; p = p->next)
        n++;
    return n;
}

#define list_entry(node, type, member) container_of(node, type, member)

/* Iterates over nodes; the _safe form allows removing `pos` inside the loop. */
#define list_for_each(pos, head) \
    for (struct list_node *pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, head) \
    for (struct list_node *pos = (head)->next, *pos##_next_ = pos->next; pos != (head); \
         pos = pos##_next_, pos##_next_ = pos->next)

#endif
